// A USB stick for the A/B simulator: an ext4 image of a host folder on a host loop device, mounted
// read-only under the media root inside the device (whose /dev is private: the node is made there
// with the loop's numbers). The mount ends with the boot; the loop devices are the caller's to
// detach (unplugAll) once that boot is over. Also: waiting for the daemon to log what a stick did.

import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import type { AbDevice, BootProcess } from './ab-device.js';

export const SIM_MEDIA_ROOT = '/run/usb-updater/media';

export class SimSticks {
  private readonly loops: string[] = [];

  constructor(private readonly mediaRoot = SIM_MEDIA_ROOT) {}

  /** Makes `folder` a stick named `name` and mounts it in the device's current boot. */
  async plug(device: AbDevice, folder: string, name: string): Promise<void> {
    const image = `${folder}.img`;
    execFileSync('mkfs.ext4', ['-q', '-F', '-d', folder, '-L', name.toUpperCase().slice(0, 16), image, '8M']);
    const loop = execFileSync('losetup', ['-f', '--show', '-r', image], { encoding: 'utf8' }).trim();
    this.loops.push(loop);
    const rdev = statSync(loop).rdev;
    const [major, minor] = [Math.floor(rdev / 256) & 0xfff, (rdev & 0xff) | ((rdev >> 12) & 0xfff00)];
    const result = await device.run('sh', ['-c', `mknod /run/${name}-disk b ${major} ${minor} && mkdir -p ${this.mediaRoot}/${name} && mount -o ro,nosuid,nodev,noexec /run/${name}-disk ${this.mediaRoot}/${name}`]);
    if (result.code !== 0) throw new Error(`mounting stick ${name} failed: ${result.output}`);
  }

  /** Detaches every loop device plugged so far: call once the boots that mounted them are over. */
  unplugAll(): void {
    for (const loop of this.loops.splice(0)) spawnSync('losetup', ['-d', loop]);
  }
}

/** Polls the daemon's log for `text` (not a timed assertion: the deadline only turns a hang into a failure). */
export async function waitForLog(daemon: BootProcess, text: string, ms = 60_000): Promise<void> {
  const start = Date.now();
  while (!daemon.output().stderr.includes(text)) {
    if (Date.now() - start > ms) throw new Error(`the daemon did not log ${JSON.stringify(text)} within ${ms} ms:\n${daemon.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
