// Real "sticks" for the root tests: filesystem images on loop devices, mounted and unmounted with
// mount(8). Everything made is recorded and undone by cleanup(), in reverse order, whatever failed.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

const MIB = 1024 * 1024;

/** A two-entry MBR partition table: partitions of `partMiB` each, from 1 MiB on (Linux type 0x83). */
function mbr(partMiB: number, count: number): Buffer {
  const sector = Buffer.alloc(512);
  for (let i = 0; i < count; i += 1) {
    const entry = 446 + i * 16;
    sector[entry + 4] = 0x83;
    sector.writeUInt32LE(2048 + i * partMiB * 2048, entry + 8);
    sector.writeUInt32LE(partMiB * 2048, entry + 12);
  }
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/**
 * Makes a read-only mounted stick writable for a test's own set-up, then mounts it read-only again
 * with `readOnlyOptions` (the daemon's mount uses `ro,nosuid,nodev,noexec`).
 */
export function asWritable(mountPoint: string, work: () => void, readOnlyOptions = 'ro'): void {
  execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
  try {
    work();
  } finally {
    execFileSync('sync');
    execFileSync('mount', ['-o', `remount,${readOnlyOptions}`, mountPoint]);
  }
}

export class LoopSticks {
  readonly dir = mkdtempSync(`${tmpdir()}/usb-updater-sticks-`);
  private readonly loops: string[] = [];
  private readonly mounts: string[] = [];
  private readonly nodes: string[] = [];
  private count = 0;

  /**
   * Formats a new image with `fsType` (ext4, ext2, vfat) and attaches it; returns the loop device.
   * `readOnly` attaches it read-only, like a stick with its write-protect switch on.
   */
  stick(fsType: string, label: string, options: { readOnly?: boolean } = {}): string {
    const image = this.emptyImage(16);
    this.format(fsType, label, image);
    return this.attach(image, false, options.readOnly === true);
  }

  /** A stick with `count` partitions, each formatted ext4; returns the partition devices. */
  partitionedStick(count: number, label: string): string[] {
    const image = this.emptyImage(2 + count * 8);
    writeFileSync(image, mbr(8, count), { flag: 'r+' });
    const loop = this.attach(image, true);
    // Some kernels and containers scan the table only on request, and without udev (or with a
    // /dev that is not devtmpfs) nobody makes the partition nodes: make them from sysfs.
    run('partx', ['--update', loop]);
    const parts = Array.from({ length: count }, (_, i) => `${loop}p${i + 1}`);
    for (const part of parts) {
      if (existsSync(part)) continue;
      const [major, minor] = readFileSync(`/sys/class/block/${basename(part)}/dev`, 'utf8').trim().split(':');
      run('mknod', [part, 'b', major ?? '', minor ?? '']);
      this.nodes.push(part);
    }
    parts.forEach((part, i) => this.format('ext4', `${label}${i + 1}`, part));
    return parts;
  }

  /** Mounts `device` at `mountPoint` (made if missing) the way our udev unit does. */
  mount(device: string, mountPoint: string): void {
    mkdirSync(mountPoint, { recursive: true });
    run('mount', ['-o', 'ro,nosuid,nodev,noexec', device, mountPoint]);
    this.mounts.push(mountPoint);
  }

  umount(mountPoint: string): void {
    run('umount', [mountPoint]);
    this.mounts.splice(this.mounts.lastIndexOf(mountPoint), 1);
  }

  /** A mount the test undid itself (a lazy unmount, as a pulled stick): not undone again. */
  forget(mountPoint: string): void {
    this.mounts.splice(this.mounts.lastIndexOf(mountPoint), 1);
  }

  /** Undoes everything still in place; every step is tried, the first failure is thrown at the end. */
  cleanup(): void {
    const failures: unknown[] = [];
    const attempt = (step: () => unknown): void => {
      try {
        step();
      } catch (err) {
        failures.push(err);
      }
    };
    for (const mountPoint of this.mounts.reverse()) attempt(() => run('umount', ['-l', mountPoint]));
    for (const loop of this.loops.reverse()) attempt(() => run('losetup', ['-d', loop]));
    for (const node of this.nodes) attempt(() => rmSync(node, { force: true }));
    this.nodes.length = 0;
    this.mounts.length = 0;
    this.loops.length = 0;
    attempt(() => rmSync(this.dir, { recursive: true, force: true }));
    if (failures.length > 0) throw failures[0];
  }

  private emptyImage(mib: number): string {
    this.count += 1;
    const image = `${this.dir}/stick${this.count}.img`;
    writeFileSync(image, '');
    execFileSync('truncate', ['-s', `${mib * MIB}`, image]);
    return image;
  }

  private format(fsType: string, label: string, target: string): void {
    // mkfs.vfat has other flags (-F is the FAT size) and labels of at most 11 characters.
    if (fsType === 'vfat') run('mkfs.vfat', ['-n', label.slice(0, 11), target]);
    else run(`mkfs.${fsType}`, ['-q', '-F', '-L', label, target]);
  }

  private attach(image: string, partitions: boolean, readOnly = false): string {
    const loop = run('losetup', ['--find', '--show', ...(partitions ? ['--partscan'] : []), ...(readOnly ? ['--read-only'] : []), image]);
    this.loops.push(loop);
    return loop;
  }
}

/** The filesystem UUID blkid reads, to compare with what the detector reports. */
export const blkidUuid = (device: string): string => run('blkid', ['-p', '-s', 'UUID', '-o', 'value', device]);
