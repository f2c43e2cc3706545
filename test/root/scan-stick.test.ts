// The stick search on real ext4 sticks (loop devices, mounted read-only): 100,000 files, a tree 50
// levels deep, a link into /etc and a FIFO, and a stick unmounted (umount -l) in the middle of the
// search. Needs root (losetup, mount); skips with that reason elsewhere, fails in CI.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scanStick, type ScanOptions, type StickFs } from '../../src/media/index.js';
import { configSchema, pathRule } from '../../src/policy/index.js';
import { realStickFs } from '../../src/system/media/stick-fs.js';
import { ARTIFACTS, needsTool } from '../support/skip/fixtures.js';
import { needsRoot } from '../support/skip/media.js';

const skip = needsRoot() || needsTool('mkfs.ext4', 'e2fsprogs') || needsTool('losetup', 'mount');

function options(search: Record<string, unknown> = {}): ScanOptions {
  const { search: s } = configSchema.parse({ signature: { required: false }, search });
  return { rule: pathRule(s), maxDepth: s.max_depth, maxEntries: s.max_entries };
}

describe('the stick search on real mounted sticks', { skip }, () => {
  let dir = '';
  const loops: string[] = [];
  const mounts: string[] = [];

  /** Attaches `image` and mounts it at `mountPoint`; returns the loop device. */
  function attach(image: string, mountPoint: string, readOnly: boolean): string {
    const loop = execFileSync('losetup', ['-f', '--show', ...(readOnly ? ['-r'] : []), image], { encoding: 'utf8' }).trim();
    loops.push(loop);
    mkdirSync(mountPoint, { recursive: true });
    execFileSync('mount', ['-o', readOnly ? 'ro,nosuid,nodev,noexec' : 'rw', loop, mountPoint]);
    mounts.push(mountPoint);
    return loop;
  }

  function detach(loop: string, mountPoint: string): void {
    // Read-only first: that commits the journal and marks the filesystem clean. A plain umount
    // leaves it dirty whenever an A/B simulator boot (`unshare --mount`, in a test running beside
    // this one) copied the mount meanwhile and keeps it alive; the read-only mount then fails.
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    execFileSync('umount', [mountPoint]);
    mounts.splice(mounts.indexOf(mountPoint), 1);
    execFileSync('losetup', ['-d', loop]);
    loops.splice(loops.indexOf(loop), 1);
  }

  /**
   * An ext4 stick filled by `fill` through the kernel (mkfs.ext4 -d is far too slow for 100,000
   * files in one folder), then attached read-only and mounted read-only at dir/media/name.
   */
  function stick(name: string, fill: (root: string) => void): string {
    const image = join(dir, `${name}.img`);
    execFileSync('truncate', ['-s', '256M', image]);
    execFileSync('mkfs.ext4', ['-q', '-N', '120000', image]);
    const staging = join(dir, 'staging', name);
    const loop = attach(image, staging, false);
    fill(staging);
    detach(loop, staging);
    const mountPoint = join(dir, 'media', name);
    attach(image, mountPoint, true);
    return mountPoint;
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-scan-'));
  });

  after(() => {
    for (const mountPoint of mounts.reverse()) spawnSync('umount', ['-l', mountPoint]);
    for (const loop of loops) spawnSync('losetup', ['-d', loop]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('100,000 files: refused past max_entries with a clear error; searched when the limit allows', async () => {
    const root = stick('many', (tree) => {
      for (let i = 0; i < 100_000; i++) writeFileSync(join(tree, `photo-${i}.jpg`), '');
      copyFileSync(`${ARTIFACTS}rootfs-gzip-rsa.mender`, join(tree, 'update.mender'));
    });
    await assert.rejects(scanStick(root, realStickFs, options()), { code: 'MEDIA_TOO_MANY_ENTRIES', message: `${root}: more than 10000 entries (search.max_entries); the stick was not searched` });
    const found = await scanStick(root, realStickFs, options({ max_entries: 200_000 }));
    assert.deepEqual(found.files.map((f) => f.path), ['update.mender']);
    // The files, update.mender and ext4's lost+found.
    assert.equal(found.entries, 100_002);
    await Promise.all(found.files.map((f) => f.artifact.close()));
  });

  it('a tree 50 levels deep is searched only to max_depth; a link into /etc and a FIFO are skipped', async () => {
    const root = stick('deep', (tree) => {
      let level = tree;
      for (let i = 0; i < 50; i++) level = join(level, `d${i}`);
      mkdirSync(level, { recursive: true });
      copyFileSync(`${ARTIFACTS}rootfs-gzip-rsa.mender`, join(level, 'deep.mender'));
      copyFileSync(`${ARTIFACTS}rootfs-gzip-rsa.mender`, join(tree, 'top.mender'));
      symlinkSync('/etc/shadow', join(tree, 'update.mender'));
      execFileSync('mkfifo', [join(tree, 'x.mender')]);
    });
    const found = await scanStick(root, realStickFs, options({ paths: ['**/*.mender'], max_depth: 16 }));
    assert.deepEqual(found.files.map((f) => f.path), ['top.mender']);
    assert.deepEqual(found.skipped.map((s) => [s.path, s.reason.code]), [['update.mender', 'SYMLINK'], ['x.mender', 'NOT_REGULAR_FILE']]);
    // The root's 4 entries and lost+found, then one folder per level for 16 levels, no more.
    assert.equal(found.entries, 5 + 16);
    await Promise.all(found.files.map((f) => f.artifact.close()));
  });

  it('a stick unmounted (umount -l) during the search ends it with MEDIA_GONE and every file closed', async () => {
    const root = stick('pulled', (tree) => {
      mkdirSync(join(tree, 'b-updates'), { recursive: true });
      copyFileSync(`${ARTIFACTS}rootfs-gzip-rsa.mender`, join(tree, 'a.mender'));
      copyFileSync(`${ARTIFACTS}rootfs-gzip-rsa.mender`, join(tree, 'b-updates', 'b.mender'));
    });
    const opened: { close(): Promise<void>; closed: boolean }[] = [];
    // The real file system, with the stick pulled right after the first candidate was opened: the
    // search then goes on to b-updates/, which is no longer there.
    const pulling: StickFs = {
      list: (path) => realStickFs.list(path),
      device: (path) => realStickFs.device(path),
      async open(path) {
        const file = await realStickFs.open(path);
        const tracked = { closed: false, close: async () => { tracked.closed = true; await file.artifact.close(); } };
        opened.push(tracked);
        if (opened.length === 1) execFileSync('umount', ['-l', root]);
        return { ...file, artifact: { ...file.artifact, close: tracked.close } };
      },
    };
    await assert.rejects(scanStick(root, pulling, options({ paths: ['*.mender', 'b-updates/*.mender'] })), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MEDIA_GONE');
      assert.match(err.message, /went away during the search \(ENOENT\)/);
      return true;
    });
    mounts.splice(mounts.indexOf(root), 1);
    assert.equal(opened.length, 1);
    assert.ok(opened.every((f) => f.closed), 'every file opened before the stick went away is closed');
  });
});
