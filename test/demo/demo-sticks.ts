// The demo's USB sticks: ext4 images holding a folder, attached to host loop devices (read-write, so
// that the daemon may remount one to write its report) and "plugged" into the simulated device the
// way the udev rule's unit does it: read-only, nosuid,nodev,noexec, under the media root, at the
// kernel name. remove() detaches every loop device; the device's end has unmounted them by then.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type { AbDevice } from '../support/simulator/ab-device.js';

const execFileAsync = promisify(execFile);

export interface PluggedStick {
  label: string;
  loop: string;
  /** Where it is mounted inside the device. */
  mountPoint: string;
}

/** The file a loop device reads from; null once it is detached. */
export function loopBackingFile(loop: string): string | null {
  try {
    return readFileSync(`/sys/block/${basename(loop)}/loop/backing_file`, 'utf8').trim();
  } catch {
    return null;
  }
}

export class DemoSticks {
  private readonly loops: { loop: string; image: string }[] = [];

  constructor(private readonly mediaRoot: string) {}

  /** An ext4 image of `folder` (`sizeMiB`) labelled `label`, on a new loop device. */
  async make(folder: string, label: string, sizeMiB: number): Promise<{ label: string; loop: string }> {
    const image = `${folder}.img`;
    await execFileAsync('mkfs.ext4', ['-q', '-F', '-d', folder, '-L', label, image, `${sizeMiB}M`]);
    const { stdout } = await execFileAsync('losetup', ['--find', '--show', image]);
    const loop = stdout.trim();
    this.loops.push({ loop, image });
    return { label, loop };
  }

  /**
   * Mounts the stick inside the device. Its /dev is private: the node is made there, under the
   * loop's own name, so that the daemon's blkid finds the label where the kernel names the device.
   */
  async plug(device: AbDevice, stick: { label: string; loop: string }): Promise<PluggedStick> {
    const [major, minor] = readFileSync(`/sys/block/${basename(stick.loop)}/dev`, 'utf8').trim().split(':');
    const name = basename(stick.loop);
    const mountPoint = `${this.mediaRoot}/${name}`;
    const result = await device.run('sh', ['-c', `mknod /dev/${name} b ${major ?? ''} ${minor ?? ''} && mkdir -p ${mountPoint} && mount -o ro,nosuid,nodev,noexec /dev/${name} ${mountPoint}`]);
    if (result.code !== 0) throw new Error(`plugging ${stick.label} failed: ${result.output}`);
    return { ...stick, mountPoint };
  }

  /** Unmounts the stick inside the device (the technician pulls it out once the light says so). */
  async unplug(device: AbDevice, stick: PluggedStick): Promise<void> {
    const result = await device.run('sh', ['-c', `umount ${stick.mountPoint} && rm -f /dev/${basename(stick.loop)}`]);
    if (result.code !== 0) throw new Error(`unplugging ${stick.label} failed: ${result.output}`);
  }

  /** Detaches every loop device made here (only those still backed by our images). */
  async remove(): Promise<void> {
    for (const { loop, image } of this.loops.splice(0)) {
      if (loopBackingFile(loop) === image) await execFileAsync('losetup', ['--detach', loop]).catch(() => undefined);
    }
  }
}
