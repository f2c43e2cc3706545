// A model of a Mender device for the state tests: the client and the bootloader as MENDER-FACTS.md
// describes them (install sets upgrade_available and switches the boot partition, commit and
// rollback clear it, the bootloader falls back past bootlimit). The real client runs in the root
// tests; this one lets a unit test cut the power around every single side effect.

export type Part = 'A' | 'B';
export const other = (p: Part): Part => (p === 'A' ? 'B' : 'A');
/** The partition numbers the simulator gives A and B (mender_boot_part). */
export const PART_NUMBER: Record<Part, string> = { A: '2', B: '3' };

export class DeviceModel {
  bootPart: Part = 'A';
  upgradeAvailable = false;
  bootcount = 0;
  running: Part = 'A';
  boots = 1;
  /** The client's own record of an uncommitted install (its LMDB store). */
  clientPending = false;
  /** Whether health checks ever passed on the new image. */
  checkedGood = false;
  commits = 0;
  /** The client's pending install is an update module's (no reboot, no bootloader). */
  modulePending = false;

  constructor(readonly bootlimit = 3) {}

  get bootId(): string {
    return `boot-${this.boots}`;
  }

  boot(): void {
    if (this.upgradeAvailable) {
      this.bootcount += 1;
      // altbootcmd: past the limit, swap back and clear upgrade_available.
      if (this.bootcount > this.bootlimit) {
        this.bootPart = other(this.bootPart);
        this.upgradeAvailable = false;
      }
    }
    this.running = this.bootPart;
    this.boots += 1;
  }

  install(): void {
    this.bootPart = other(this.running);
    this.upgradeAvailable = true;
    this.bootcount = 0;
    this.clientPending = true;
  }

  /** An update module's install: the client records it, the bootloader is not involved. */
  installModule(): void {
    this.clientPending = true;
    this.modulePending = true;
  }

  /** 0 ok, 1 error (the bootloader fell back meanwhile), 2 nothing to commit. */
  commit(): number {
    this.commits += 1;
    if (!this.clientPending) return 2;
    if (this.modulePending) {
      this.clientPending = this.modulePending = false;
      return 0;
    }
    if (this.running !== this.bootPart || !this.upgradeAvailable) return 1;
    this.upgradeAvailable = false;
    this.clientPending = false;
    return 0;
  }

  /** 0 rolled back (or nothing left after a fallback: the client clears its state), 2 nothing to roll back. */
  rollback(): number {
    if (!this.clientPending) return 2;
    this.modulePending = false;
    if (this.upgradeAvailable) {
      this.bootPart = other(this.bootPart);
      this.upgradeAvailable = false;
    }
    this.clientPending = false;
    return 0;
  }

  /** What fw_printenv prints. */
  env(): Record<string, string> {
    return { upgrade_available: this.upgradeAvailable ? '1' : '0', mender_boot_part: PART_NUMBER[this.bootPart], bootcount: String(this.bootcount) };
  }
}
