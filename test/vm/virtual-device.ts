// One virtual device over its lifetime: its own copy of the disk image, the bootloader step before
// every power-on (U-Boot's bootcount/bootlimit/altbootcmd, as boot-env.ts's bootloaderStep plays it,
// on the env in the disk's raw partition), the kernel and initrd loaded from the partition that
// mender_boot_part names (as U-Boot's ext4load would), and sticks hot-plugged through QMP.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BootEnv, bootloaderStep, type BootEnvValues, type BootloaderStep } from '../support/simulator/boot-env.js';
import { mustRun } from './command.js';
import type { DeviceImage } from './device-image.js';
import { hostEnvConfig, offsetOf, PART } from './disk-layout.js';
import type { GuestAgent } from './guest-agent.js';
import { Qemu, type QemuEnd } from './qemu.js';
import type { StickImage } from './stick-images.js';

export interface Boot {
  qemu: Qemu;
  /** The partition booted: 'A' or 'B'. */
  slot: 'A' | 'B';
  step: BootloaderStep;
  /** The env after the bootloader's step. */
  env: BootEnvValues;
  startedAt: number;
}

const SLOT_OF: Record<string, 'A' | 'B'> = { [String(PART.A)]: 'A', [String(PART.B)]: 'B' };

export class VirtualDevice {
  private boots = 0;
  private current: Boot | null = null;
  private readonly plugged = new Set<string>();

  private constructor(readonly dir: string, readonly disk: string, private readonly image: DeviceImage, readonly env: BootEnv) {}

  /** A new device from the factory image, its files under `dir`. */
  static async create(image: DeviceImage, dir: string): Promise<VirtualDevice> {
    await mkdir(dir, { recursive: true });
    const disk = join(dir, 'disk.img');
    await mustRun('cp', ['--sparse=always', image.disk, disk]);
    const env = await BootEnv.at(join(dir, 'fw_env.config'), hostEnvConfig(disk));
    return new VirtualDevice(dir, disk, image, env);
  }

  get consoleFile(): string {
    return join(this.dir, 'console.log');
  }

  /** Powers on: the bootloader step, then the kernel of the partition it chose, with `sticks` in. */
  async boot(sticks: Readonly<Record<string, StickImage>> = {}): Promise<Boot> {
    if (this.current !== null) throw new Error('vm: boot() while the device runs');
    const step = bootloaderStep(await this.env.read());
    if (Object.keys(step.changes).length > 0) await this.env.write(step.changes);
    const env = await this.env.read();
    const slot = SLOT_OF[env.mender_boot_part ?? ''];
    if (slot === undefined) throw new Error(`vm: mender_boot_part=${String(env.mender_boot_part)} names no root partition`);
    this.boots += 1;
    const bootDir = join(this.dir, `boot-${this.boots}`);
    await mkdir(bootDir);
    // U-Boot loads both from the root filesystem it boots: a payload with a broken kernel fails here too.
    const fs = `${this.disk}?offset=${offsetOf(slot)}`;
    for (const [from, to] of [[this.image.kernel, 'vmlinuz'], [this.image.initrd, 'initrd.img']] as const) {
      await mustRun('debugfs', ['-R', `dump ${from} ${join(bootDir, to)}`, fs]);
    }
    const qemu = Qemu.start({
      disk: this.disk, kernel: join(bootDir, 'vmlinuz'), initrd: join(bootDir, 'initrd.img'),
      root: `/dev/vda${slot === 'A' ? PART.A : PART.B}`, dir: bootDir, consoleFile: this.consoleFile,
    });
    this.current = { qemu, slot, step, env, startedAt: Date.now() };
    this.plugged.clear();
    // Plugged before the guest's kernel runs: what the device finds at power-on.
    for (const [id, stick] of Object.entries(sticks)) await this.plug(stick, id);
    return this.current;
  }

  get running(): Boot {
    if (this.current === null) throw new Error('vm: the device is not running');
    return this.current;
  }

  async agent(timeoutMs = 180_000): Promise<GuestAgent> {
    return this.running.qemu.agent(timeoutMs);
  }

  /** Plugs `stick` into the xhci controller as a USB mass-storage device with its serial. */
  async plug(stick: StickImage, id: string): Promise<void> {
    const qmp = await this.running.qemu.qmp();
    await qmp.command('blockdev-add', { 'node-name': id, driver: 'raw', file: { driver: 'file', filename: stick.path } });
    await qmp.command('device_add', { driver: 'usb-storage', id, drive: id, bus: 'xhci.0', serial: stick.serial, removable: true });
    this.plugged.add(id);
  }

  /** Pulls the stick out, as a hand does: the guest gets no warning. */
  async pull(id: string): Promise<void> {
    const qmp = await this.running.qemu.qmp();
    await qmp.command('device_del', { id });
    await qmp.event('DEVICE_DELETED', { device: id }, 30_000);
    await qmp.command('blockdev-del', { 'node-name': id });
    this.plugged.delete(id);
  }

  /** Waits until the guest ends this run (a reboot or power-off); the device is then off. */
  async off(timeoutMs: number): Promise<QemuEnd> {
    const { qemu } = this.running;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        qemu.ended(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`vm: the device did not go down within ${timeoutMs} ms\n--- console tail ---\n${qemu.console.tail()}`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      await qemu.kill();
      throw err;
    } finally {
      clearTimeout(timer);
      this.current = null;
    }
  }

  /** Powers off from inside (sticks still in stay in their images as written). */
  async powerOff(): Promise<void> {
    const agent = await this.agent();
    await agent.run('systemctl poweroff --no-block').catch(() => undefined);
    await this.off(120_000);
  }

  /** Kills QEMU by its PID if it still runs: the test's last word, whatever failed. */
  async dispose(): Promise<void> {
    if (this.current !== null) await this.current.qemu.kill();
    this.current = null;
  }
}
