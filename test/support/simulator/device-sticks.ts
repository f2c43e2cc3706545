// Sticks for the A/B simulator's daemon tests: ext4 images on read-only host loop devices, mounted
// read-only inside a device (whose /dev is private: the node is made there from the loop's numbers),
// unplugged cleanly or pulled the way the kernel loses a vanished disk. Every loop device made is
// recorded and detach() lets go of all of them, whatever failed; the device's own end takes its mounts.
// Also the few facts tests read back: an artifact's image checksum, a device's hash, log records.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AbDevice } from './ab-device.js';
import { until } from './client-gate.js';

const run = (cmd: string, args: readonly string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** SHA-256 of a file or device, or of its first `bytes`. */
export async function sha256Of(path: string, bytes?: number): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, bytes === undefined ? {} : { end: bytes - 1 }), hash);
  return hash.digest('hex');
}

/** The SHA-256 of the artifact's `manifest` member: what the journal records as its manifestSha256. */
export function manifestSha256(artifact: string): string {
  return createHash('sha256').update(execFileSync('tar', ['-xOf', artifact, 'manifest'])).digest('hex');
}

/** The manifest's checksum of the artifact's one payload file: the image's SHA-256. */
export function imageChecksum(artifact: string): string {
  const manifest = run('tar', ['-xOf', artifact, 'manifest']);
  const line = manifest.split('\n').find((l) => l.includes('data/0000/'));
  assert.ok(line, manifest);
  return line.split(/\s+/)[0] ?? '';
}

/** The file a loop device reads from; null once it is detached. */
export function backingFile(loop: string): string | null {
  try {
    return readFileSync(`/sys/block/${loop.replace('/dev/', '')}/loop/backing_file`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** One JSON log line of the daemon; lines that are not JSON objects are not records. */
export type LogRecord = Record<string, unknown> & { message?: string };

export function logRecords(stderr: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of stderr.split('\n')) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) records.push(parsed as LogRecord);
    } catch {
      // Not a record (a partial last line, or text from elsewhere).
    }
  }
  return records;
}

export interface PluggedStick {
  image: string;
  loop: string;
  mountPoint: string;
  /** The block node made for it inside the device. */
  node: string;
}

export class DeviceSticks {
  private readonly loops: string[] = [];
  private count = 0;

  /** `dir` holds the images; detach() lets go of every loop device backed by a file in it. */
  constructor(readonly dir: string) {}

  /** An ext4 image of `sizeMiB` holding the tree `folder` (mkfs.ext4 -d keeps links, FIFOs, nodes). */
  imageOf(folder: string, sizeMiB = 16, mkfsArgs: readonly string[] = []): string {
    const image = `${folder}.img`;
    run('mkfs.ext4', ['-q', '-F', ...mkfsArgs, '-d', folder, image, `${sizeMiB}M`]);
    return image;
  }

  /**
   * An ext4 image filled through the kernel by the shell `script` (run in the mounted root, with
   * `env`): far faster than mkfs.ext4 -d for tens of thousands of files. The read-write mount lives
   * only in a private mount namespace of its own: a namespace made meanwhile by `unshare --mount`
   * (every A/B simulator boot) would otherwise copy it and keep it mounted after our umount, and
   * its unreplayed journal then makes the read-only mount fail.
   */
  filledImage(name: string, sizeMiB: number, inodes: number, script: string, env: Record<string, string> = {}): string {
    const image = join(this.dir, `${name}.img`);
    run('truncate', ['-s', `${sizeMiB}M`, image]);
    run('mkfs.ext4', ['-q', '-N', String(inodes), image]);
    const staging = join(this.dir, `${name}.staging`);
    mkdirSync(staging);
    const loop = this.attach(image, false);
    try {
      const fill = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-ec', `mount "$1" "$2"; cd "$2"; ${script}\ncd /; umount "$2"`, 'fill', loop, staging], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      assert.equal(fill.status, 0, `filling ${name}: ${fill.stdout}${fill.stderr}`);
    } finally {
      this.release(loop);
      rmSync(staging, { recursive: true, force: true });
    }
    return image;
  }

  /** Attaches `image` read-only and mounts it at `mountPoint` in the device, as the mount unit does. */
  async plug(device: AbDevice, image: string, mountPoint: string): Promise<PluggedStick> {
    const loop = this.attach(image, true);
    const [major, minor] = run('cat', [`/sys/class/block/${loop.replace('/dev/', '')}/dev`]).split(':');
    this.count += 1;
    const node = `/run/stick-disk-${this.count}`;
    const result = await device.run('sh', ['-c', `mknod ${node} b ${major} ${minor} && mkdir -p ${mountPoint} && mount -o ro,nosuid,nodev,noexec ${node} ${mountPoint}`]);
    assert.equal(result.code, 0, result.output);
    return { image, loop, mountPoint, node };
  }

  /** Unmounts the stick in the device and detaches its loop device: a clean removal. */
  async unplug(device: AbDevice, stick: PluggedStick): Promise<void> {
    const result = await device.run('sh', ['-c', `umount ${stick.mountPoint} && rm -f ${stick.node}`]);
    assert.equal(result.code, 0, result.output);
    this.release(stick.loop);
  }

  /**
   * Pulls the stick as the kernel sees a vanished USB disk: the mount is detached lazily (as the
   * mount unit does) and the disk shrinks to nothing (`losetup -c` over an emptied image), so every
   * read the page cache cannot answer fails with EIO. The loop device goes with its last user.
   */
  async pull(device: AbDevice, stick: PluggedStick): Promise<void> {
    const result = await device.run('umount', ['-l', stick.mountPoint]);
    assert.equal(result.code, 0, result.output);
    truncateSync(stick.image, 0);
    run('losetup', ['-c', stick.loop]);
    this.release(stick.loop);
  }

  /** Detaches every loop device still backed by an image here; waits until the kernel let go. */
  async detach(): Promise<void> {
    for (const loop of this.loops.splice(0)) {
      if (backingFile(loop)?.startsWith(this.dir)) spawnSync('losetup', ['-d', loop]);
    }
    await until('every stick\'s loop device to go', () => !run('losetup', ['-a']).includes(`(${this.dir}/`), undefined, 30_000);
  }

  private attach(image: string, readOnly: boolean): string {
    const loop = run('losetup', ['-f', '--show', ...(readOnly ? ['-r'] : []), image]);
    this.loops.push(loop);
    return loop;
  }

  /** `losetup -d`: on a device still open it takes effect once the last user closes it. */
  private release(loop: string): void {
    run('losetup', ['-d', loop]);
    this.loops.splice(this.loops.indexOf(loop), 1);
  }
}
