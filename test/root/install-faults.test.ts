// The deployment's fault cases in the A/B simulator, the real Mender client doing the install: an
// artifact whose file is replaced or rewritten after its header was checked, a stick pulled while
// its artifact streams, a stick inserted while an update is pending and the running artifact
// offered again. Each asserts what the device is left with: exit code, bootloader env, partition
// contents, `usb-updater status --json`.
//
// The faults strike at a named point, not after a delay: a gate (a `mender` script first on the
// CLI's PATH) stops at `mender --version` (the header was checked, the descriptor is open, nothing
// was re-read yet) or at `mender install` (the checked prefix was re-read and streaming started; the
// client reads nothing until let go, so back-pressure keeps the rest of the artifact unread), says
// so in a file, and waits for the test to let it go; then it execs the real client unchanged.
// A pulled stick is emulated by what the kernel does to a vanished disk: the mount is detached
// lazily and the loop device shrinks to nothing (`losetup -c` over an emptied image), so every read
// not already cached fails with EIO, exactly as from an unplugged USB disk.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { needsAbDevice, withAbDevice, type AbDevice, type BootProcess } from '../support/simulator/ab-device.js';
import { Gate, until } from '../support/simulator/client-gate.js';
import { backingFile, imageChecksum, manifestSha256, sha256Of } from '../support/simulator/device-sticks.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { RELEASE_FILE, writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';
const MIB = 1024 * 1024;
/** Partitions large enough for the big image below. */
const OPTIONS = { deviceType: TYPE, artifactName: 'release-1.0', partitionMiB: 32 };
/** The big artifact: 20 MiB of random bytes in a 24 MiB image, so gzip cannot shrink it. */
const BIG_IMAGE_MIB = 24;
const MEDIA = '/run/usb-updater/media';

interface StatusJson {
  journal: { state: string; artifactName: string; sha256: string | null; lastError: { code: string; message: string } | null } | null;
  history: { outcome: string; artifactName: string; cause: string | null; error: { code: string } | null }[];
}

describe('usb-updater install: fault cases in the A/B simulator', { skip }, () => {
  let dir = '';
  let config = '';
  /** Artifacts made once; each test copies what it changes. */
  const made = { big: '', plain: '', other: '', next: '' };
  const loops: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-faults-'));
    const sign = { signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') };
    made.big = join(dir, 'release-2.0.mender');
    made.plain = join(dir, 'plain', 'release-2.0.mender');
    mkdirSync(join(dir, 'plain'));
    const random = { '/random.bin': randomBytes(20 * MIB) };
    made.other = join(dir, 'release-6.6.mender');
    made.next = join(dir, 'release-3.0.mender');
    await Promise.all([
      writeRootfsArtifact({ output: made.big, name: 'release-2.0', deviceTypes: [TYPE], imageMiB: BIG_IMAGE_MIB, files: random, ...sign }),
      writeRootfsArtifact({ output: made.plain, name: 'release-2.0', deviceTypes: [TYPE], imageMiB: BIG_IMAGE_MIB, files: random, compression: 'none', ...sign }),
      writeRootfsArtifact({ output: made.other, name: 'release-6.6', deviceTypes: [TYPE], ...sign }),
      writeRootfsArtifact({ output: made.next, name: 'release-3.0', deviceTypes: [TYPE], ...sign }),
    ]);
    config = join(dir, 'config.yaml');
    writeSimConfig(config, { mediaRoot: MEDIA });
  });

  after(async () => {
    // The devices' boots, and with them every mount of these sticks, are gone by now.
    for (const loop of loops.splice(0)) {
      if (backingFile(loop)?.startsWith(dir)) spawnSync('losetup', ['-d', loop]);
    }
    try {
      await until('every stick\'s loop device to go', () => attachedUnder(dir).length === 0, undefined, 30_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A stick folder holding a copy of `artifact`; returns the folder and the copy. */
  const stickFolder = (name: string, artifact: string): { folder: string; file: string } => {
    const folder = join(dir, name);
    mkdirSync(folder);
    const file = join(folder, artifact.slice(artifact.lastIndexOf('/') + 1));
    copyFileSync(artifact, file);
    return { folder, file };
  };

  const install = (device: AbDevice, path: string, env: Record<string, string> = {}): Promise<{ code: number; output: string; stdout: string }> =>
    device.run('node', [BIN, 'install', '--json', '-c', config, path], { timeoutMs: 180_000, env });

  const status = async (device: AbDevice): Promise<StatusJson> => {
    const result = await device.run('node', [BIN, 'status', '--json', '-c', config]);
    assert.equal(result.code, 0, result.output);
    return JSON.parse(result.stdout) as StatusJson;
  };

  /** Nothing was set up for a trial boot: the env is as the device was made. */
  const assertEnvUntouched = async (device: AbDevice): Promise<void> => {
    const env = await device.env();
    assert.equal(env.upgrade_available, '0');
    assert.equal(env.mender_boot_part, '2');
  };

  /** The deployment ended Failed with `code`, and the ledger says failed for `name`. */
  const assertFailed = async (device: AbDevice, name: string, code: string): Promise<StatusJson> => {
    const parsed = await status(device);
    assert.equal(parsed.journal?.state, 'Failed');
    assert.equal(parsed.journal?.artifactName, name);
    assert.equal(parsed.journal?.lastError?.code, code);
    assert.deepEqual(parsed.history.map((e) => [e.outcome, e.artifactName, e.cause, e.error?.code]), [['failed', name, 'install-failed', code]]);
    return parsed;
  };

  /**
   * A stick: an ext4 image of `folder` on a read-only host loop device, mounted read-only at
   * `mountPoint` inside the device (its /dev is private: the node is made there).
   */
  const plug = async (device: AbDevice, folder: string, mountPoint: string, sizeMiB: number): Promise<{ loop: string; image: string }> => {
    const image = `${folder}.img`;
    execFileSync('mkfs.ext4', ['-q', '-F', '-d', folder, image, `${sizeMiB}M`]);
    const loop = execFileSync('losetup', ['-f', '--show', '-r', image], { encoding: 'utf8' }).trim();
    loops.push(loop);
    const [major, minor] = readFileSync(`/sys/class/block/${loop.replace('/dev/', '')}/dev`, 'utf8').trim().split(':');
    const node = `/run/disk-${basename(mountPoint)}`;
    const result = await device.run('sh', ['-c', `mknod ${node} b ${major} ${minor} && mkdir -p ${mountPoint} && mount -o ro,nosuid,nodev,noexec ${node} ${mountPoint}`]);
    assert.equal(result.code, 0, result.output);
    return { loop, image };
  };

  it('a file replaced by rename after its header was checked: what is installed is what was checked', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const gate = new Gate(dir);
      const { folder, file } = stickFolder('renamed', made.big);
      const checked = manifestSha256(file);
      const swap = join(folder, '.swap');
      copyFileSync(made.other, swap);
      gate.hold('install');
      const running = install(device, folder, gate.env);
      await gate.reached('install', running);
      // The path now names another valid, signed artifact; the open descriptor still has the old file.
      renameSync(swap, file);
      gate.release('install');
      const result = await running;
      assert.equal(result.code, 0, result.output);
      const json = JSON.parse(result.stdout) as { deployment: { artifactName: string; manifestSha256: string; size: number } };
      assert.equal(json.deployment.artifactName, 'release-2.0');
      assert.equal(json.deployment.manifestSha256, checked);
      assert.notEqual(checked, manifestSha256(made.other));
      assert.equal(json.deployment.size, statSync(made.big).size);
      // Partition B holds exactly the image of the artifact that was checked.
      assert.equal(await sha256Of(device.loopDevices.B, BIG_IMAGE_MIB * MIB), imageChecksum(made.big));
      const env = await device.env();
      assert.equal(env.upgrade_available, '1');
      assert.equal(env.mender_boot_part, '3');
      await device.reboot();
      assert.equal(device.activePartition(), 'B');
      assert.equal((await device.run('cat', [RELEASE_FILE])).stdout.trim(), 'release-2.0');
    });
  });

  it('a file rewritten in place after the check, before streaming: INSTALL_SOURCE_CHANGED, nothing installed', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const gate = new Gate(dir);
      const { folder, file } = stickFolder('rewritten-early', made.big);
      const partitionB = await device.partitionSha256('B');
      gate.hold('version');
      const running = install(device, folder, gate.env);
      await gate.reached('version', running);
      // Same inode, other bytes: another signed artifact written over the checked one.
      writeFileSync(file, readFileSync(made.other), { flag: 'r+' });
      gate.release('version');
      const result = await running;
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /INSTALL_SOURCE_CHANGED/);
      const json = JSON.parse(result.stdout) as { outcome: string; error: { code: string; message: string } };
      assert.equal(json.outcome, 'failed');
      assert.equal(json.error.code, 'INSTALL_SOURCE_CHANGED');
      assert.match(json.error.message, /release-2\.0\.mender: the first \d+ bytes read differently/);
      assert.equal(await device.partitionSha256('B'), partitionB);
      await assertEnvUntouched(device);
      await assertFailed(device, 'release-2.0', 'INSTALL_SOURCE_CHANGED');
    });
  });

  // gzip: the changed bytes no longer inflate; none: they do, and the payload's SHA-256 no longer
  // matches the manifest that was checked (measured messages of mender 3.4 below).
  // Random bytes over gzip data do not always break the deflate stream itself: when they happen to
  // inflate, the gzip trailer's CRC catches them ("gzip: invalid checksum", seen in a full run).
  for (const [compression, clientSays] of [['gzip', /flate: corrupt input|gzip: invalid checksum/], ['none', /checksum/i]] as const) {
    it(`a file rewritten in place while it streams (${compression}): the client refuses it, nothing is installed`, async () => {
      await withAbDevice(OPTIONS, async (device) => {
        const gate = new Gate(dir);
        const { folder, file } = stickFolder(`rewritten-late-${compression}`, compression === 'gzip' ? made.big : made.plain);
        gate.hold('install');
        const running = install(device, folder, gate.env);
        await gate.reached('install', running);
        // The second half of the file, which nobody has read yet (the client waits at the gate and
        // back-pressure stops the reading); the tar trailer is left as it was.
        const size = statSync(file).size;
        const from = Math.floor(size / 2);
        const fd = openSync(file, 'r+');
        try {
          writeSync(fd, randomBytes(size - from - 4096), 0, size - from - 4096, from);
        } finally {
          closeSync(fd);
        }
        gate.release('install');
        const result = await running;
        assert.equal(result.code, 1, result.output);
        const json = JSON.parse(result.stdout) as { outcome: string; error: { code: string; message: string } };
        assert.equal(json.error.code, 'INSTALL_FAILED');
        assert.match(json.error.message, /^mender install exited 1: /);
        assert.match(json.error.message, clientSays);
        // The client checked against the manifest that was checked here: its expected checksum.
        if (compression === 'none') assert.match(json.error.message, new RegExp(`expected: \\[${imageChecksum(made.plain)}\\]`));
        await assertEnvUntouched(device);
        await assertFailed(device, 'release-2.0', 'INSTALL_FAILED');
        await device.reboot();
        assert.equal(device.activePartition(), 'A');
      });
    });
  }

  /**
   * Installs from a stick holding the big release-2.0 and pulls the stick once the client started
   * reading it (see the top of this file); asserts the failure it leaves and that the loop device
   * is gone with the last process that held the file.
   */
  const installAndPull = async (device: AbDevice, name: string): Promise<void> => {
    const gate = new Gate(dir);
    const mountPoint = `/run/${name}`;
    const stick = await plug(device, stickFolder(name, made.big).folder, mountPoint, 48);
    gate.hold('install');
    const running = install(device, mountPoint, gate.env);
    await gate.reached('install', running);
    // The stick goes: its mount is detached lazily (as the mount unit does), and the disk behind it
    // vanishes: every read the page cache cannot answer now fails with EIO.
    const umount = await device.run('umount', ['-l', mountPoint]);
    assert.equal(umount.code, 0, umount.output);
    truncateSync(stick.image, 0);
    execFileSync('losetup', ['-c', stick.loop]);
    execFileSync('losetup', ['-d', stick.loop]);
    gate.release('install');
    const result = await running;
    assert.equal(result.code, 1, result.output);
    const json = JSON.parse(result.stdout) as { outcome: string; error: { code: string; message: string } };
    assert.equal(json.outcome, 'failed');
    assert.equal(json.error.code, 'IO_ERROR');
    assert.equal(json.error.message, `${mountPoint}/release-2.0.mender: EIO: i/o error, read`);
    await assertEnvUntouched(device);
    const failed = await assertFailed(device, 'release-2.0', 'IO_ERROR');
    assert.equal(failed.journal?.lastError?.message, json.error.message);
    await until('the pulled stick\'s loop device to go', () => backingFile(stick.loop) === null);
  };

  it('a stick pulled while its artifact streams: install fails with the read error, env untouched, the next stick works', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      await installAndPull(device, 'pulled');

      const next = stickFolder('next', made.next);
      await plug(device, next.folder, '/run/next', 16);
      const reboot = device.rebootRequested();
      const second = await install(device, '/run/next');
      assert.equal(second.code, 0, second.output);
      await reboot;
      const env = await device.env();
      assert.equal(env.upgrade_available, '1');
      assert.equal(env.mender_boot_part, '3');
      assert.deepEqual((await status(device)).history.map((e) => [e.outcome, e.artifactName]), [['installed', 'release-3.0'], ['failed', 'release-2.0']]);
    });
  });

  // A pulled stick is a media fault, not the artifact's: the technician's next move is to plug the
  // same stick in again. Today the ledger's failed entry (by name) refuses it as FAILED_BEFORE.
  it('a stick pulled mid-stream, then plugged in again: the same artifact installs', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      await installAndPull(device, 'pulled-again');
      const again = await install(device, stickFolder('plugged-again', made.big).folder);
      assert.equal(again.code, 0, again.output);
    });
  });

  it('while an update is pending the daemon installs nothing; once committed, the running artifact is not installed again', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const first = stickFolder('first', made.next);
      const reboot = device.rebootRequested();
      const installed = await install(device, first.folder);
      assert.equal(installed.code, 0, installed.output);
      await reboot;
      // The reboot was asked for but has not happened: the update is pending, A still runs and B
      // holds the new image, which nothing may overwrite now.
      const installedImage = await device.partitionSha256('B');
      const pendingEnv = await device.env();
      assert.equal(pendingEnv.upgrade_available, '1');

      const daemon: BootProcess = device.spawn('node', [BIN, 'daemon', '-c', config, '--usb-module', 'usb-detection-not-installed']);
      try {
        const logged = (text: string): Promise<void> => until(`the daemon's ${text}`, () => daemon.output().stderr.includes(text), daemon.exited);
        // Its boot check finds the install's own boot: nothing to do until the reboot.
        await logged('boot check: release-3.0: installed: the new image starts at the next reboot');
        await logged('"following media"');
        await plug(device, stickFolder('pending', made.other).folder, `${MEDIA}/pending`, 16);
        await logged('"usb-updater: failed INSTALL_PENDING_UPDATE"');
        assert.match(daemon.output().stderr, /"usb-updater: failed INSTALL_PENDING_UPDATE","session":"[^"]+","stage":"stick".*"code":"INSTALL_PENDING_UPDATE".*still pending \(ArtifactReboot\)/);
      } finally {
        await daemon.kill('SIGTERM');
        assert.equal((await daemon.exited).code, 0, daemon.output().stderr);
      }
      assert.equal(await device.partitionSha256('B'), installedImage);
      assert.deepEqual(await device.env(), pendingEnv);

      // The trial boot: the boot-time check (no checks configured: reaching user space is the check) commits.
      await device.reboot();
      assert.equal(device.activePartition(), 'B');
      const knownGood = await device.partitionSha256('A');
      const health = await device.run('node', [BIN, 'health', '--json', '-c', config]);
      assert.equal(health.code, 0, health.output);
      assert.equal((JSON.parse(health.stdout) as { status: string }).status, 'committed');
      const committedEnv = await device.env();
      assert.equal(committedEnv.upgrade_available, '0');
      assert.equal(committedEnv.mender_boot_part, '3');

      // The same artifact again: the client now reports it running, so the policy skips it.
      const again = await install(device, stickFolder('same-again', made.next).folder);
      assert.equal(again.code, 3, again.output);
      assert.match(again.output, /REJECT \S+release-3\.0\.mender: ALREADY_INSTALLED/);
      assert.equal(await device.partitionSha256('A'), knownGood);
      assert.deepEqual(await device.env(), committedEnv);
      const parsed = await status(device);
      assert.equal(parsed.journal?.state, 'Committed');
      assert.deepEqual(parsed.history.map((e) => [e.outcome, e.artifactName]), [['committed', 'release-3.0'], ['installed', 'release-3.0']]);
    });
  });
});

/** The loop devices (per `losetup -a`) whose backing file is under `folder`. */
function attachedUnder(folder: string): string[] {
  return execFileSync('losetup', ['-a'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(`(${folder}/`));
}
