// Proves the A/B device simulator (test/support/simulator/ab-device.ts) with the real mender 3.4 client: each
// test drives the client through installs, reboots, commits, rollbacks and bootloader fallbacks and
// asserts the real state (U-Boot env, which image booted, partition bytes, what the client reports),
// then that the device left nothing on this machine.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REBOOT_COMMAND, bootloaderStep, createAbDevice, mender, needsAbDevice, withAbDevice, type AbDevice } from '../support/simulator/ab-device.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { RELEASE_FILE, writeRootfsArtifact } from '../support/simulator/rootfs-image.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';
const OPTIONS = { deviceType: TYPE, artifactName: 'release-1' };

/** The name in the release file of the image that booted. */
async function booted(device: AbDevice): Promise<string> {
  const cat = await device.run('cat', [RELEASE_FILE]);
  assert.equal(cat.code, 0, cat.output);
  return cat.stdout.trim();
}

async function showArtifact(device: AbDevice): Promise<string> {
  const shown = await mender(device, ['show-artifact']);
  assert.equal(shown.code, 0, shown.output);
  return shown.stdout.trim();
}

async function expectMender(device: AbDevice, args: readonly string[], code: number): Promise<string> {
  const result = await mender(device, args);
  assert.equal(result.code, code, `mender ${args.join(' ')}\n${result.output}`);
  return result.output;
}

/** What of `device` is still on this machine: loop devices, mounts, processes naming its folder. */
function leftovers(root: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/sys/block')) {
    try {
      if (readFileSync(`/sys/block/${entry}/loop/backing_file`, 'utf8').startsWith(root)) found.push(`loop device /dev/${entry}`);
    } catch {
      // Not a loop device, or not attached.
    }
  }
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (line.includes(root)) found.push(`mount ${line}`);
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (argv.includes(root)) found.push(`process ${pid}: ${argv.replaceAll('\0', ' ')}`);
    } catch {
      // Ended while we looked.
    }
  }
  try {
    readdirSync(root);
    found.push(`folder ${root}`);
  } catch {
    // Removed, as it should be.
  }
  return found;
}

describe('A/B device simulator running the real mender client', { skip, concurrency: true }, () => {
  let dir = '';
  const artifacts = { release2: '', otherType: '', unbootable: '', signed: '', large: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-ab-'));
    Object.assign(artifacts, {
      release2: join(dir, 'release-2.mender'),
      otherType: join(dir, 'other-type.mender'),
      unbootable: join(dir, 'unbootable.mender'),
      signed: join(dir, 'signed.mender'),
      large: join(dir, 'large.mender'),
    });
    await Promise.all([
      writeRootfsArtifact({ output: artifacts.release2, name: 'release-2', deviceTypes: [TYPE] }),
      writeRootfsArtifact({ output: artifacts.otherType, name: 'other-2', deviceTypes: ['other-dev'] }),
      writeRootfsArtifact({ output: artifacts.unbootable, name: 'broken-2', deviceTypes: [TYPE], unbootable: true }),
      // Incompressible, so that half of the artifact is half of the image.
      writeRootfsArtifact({ output: artifacts.large, name: 'large-2', deviceTypes: [TYPE], imageMiB: 12, files: { '/opt/blob': randomBytes(8 * 1024 * 1024) } }),
      writeRootfsArtifact({ output: artifacts.signed, name: 'signed-2', deviceTypes: [TYPE], signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') }),
    ]);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fresh device: A active, the initial image booted, nothing pending', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      assert.equal(device.activePartition(), 'A');
      assert.equal(await booted(device), 'release-1');
      assert.equal(await showArtifact(device), 'release-1');
      const env = await device.env();
      assert.equal(env.mender_boot_part, '2');
      assert.equal(env.upgrade_available, '0');
      assert.equal(env.bootlimit, '1');
      const bootId = await device.run('cat', ['/proc/sys/kernel/random/boot_id']);
      assert.equal(bootId.stdout.trim(), device.bootId());
    });
  });

  it("this repository's CLI runs inside a boot, with node from /usr", async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const inspect = await device.run('node', [BIN, 'inspect', '--json', artifacts.release2]);
      assert.equal(inspect.code, 0, inspect.output);
      assert.equal((JSON.parse(inspect.stdout) as { name: string }).name, 'release-2');
      // This root has no /etc/localtime, like many device images: there V8's own search of the
      // zoneinfo files ends at UTC, the zone src/system/os/time-zone.ts sets at once.
      assert.equal((await device.run('test', ['-e', '/etc/localtime'])).code, 1);
      const zone = await device.run('env', ['-u', 'TZ', 'node', '-e', 'process.stdout.write(Intl.DateTimeFormat().resolvedOptions().timeZone + " " + new Date(0).getTimezoneOffset())']);
      assert.equal(zone.stdout, 'UTC 0', zone.output);
    });
  });

  it('install, reboot, commit: B boots the new image and stays', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const before = await device.partitionSha256('B');
      await expectMender(device, ['install', '--reboot-exit-code', artifacts.release2], 4);
      const env = await device.env();
      assert.equal(env.upgrade_available, '1');
      assert.equal(env.mender_boot_part, '3');
      assert.equal(env.bootcount, '0');
      assert.notEqual(await device.partitionSha256('B'), before);
      const firstBoot = device.bootId();

      await device.reboot();
      assert.equal(device.activePartition(), 'B');
      assert.notEqual(device.bootId(), firstBoot);
      assert.equal(await booted(device), 'release-2');
      assert.equal((await device.env()).bootcount, '1');
      // Uncommitted, yet the new name: the client's store is still empty (first install on this
      // device), so it reads /etc/mender/artifact_info of the running image. Pending state cannot
      // be read from show-artifact.
      assert.equal(await showArtifact(device), 'release-2');
      await expectMender(device, ['commit'], 0);
      assert.equal((await device.env()).upgrade_available, '0');
      assert.equal(await showArtifact(device), 'release-2');

      await device.reboot();
      assert.equal(device.activePartition(), 'B');
      assert.equal(await booted(device), 'release-2');
      assert.equal(await showArtifact(device), 'release-2');
      await expectMender(device, ['commit'], 2);
    });
  });

  it('install, reboot, rollback: A boots the old image again', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      await expectMender(device, ['install', '--reboot-exit-code', artifacts.release2], 4);
      await device.reboot();
      assert.equal(await booted(device), 'release-2');
      await expectMender(device, ['rollback'], 0);
      const env = await device.env();
      assert.equal(env.mender_boot_part, '2');
      assert.equal(env.upgrade_available, '0');

      await device.reboot();
      assert.equal(device.activePartition(), 'A');
      assert.equal(await booted(device), 'release-1');
      assert.equal(await showArtifact(device), 'release-1');
    });
  });

  it('no commit: past bootlimit the bootloader falls back to A; then rollback is 0 and commit 1', async () => {
    const fallBack = async (device: AbDevice): Promise<void> => {
      await expectMender(device, ['install', '--reboot-exit-code', artifacts.release2], 4);
      await device.reboot();
      assert.equal(device.activePartition(), 'B');
      await device.reboot();
      assert.equal(device.activePartition(), 'A');
      assert.equal(await booted(device), 'release-1');
      assert.deepEqual(device.boots().map((boot) => [boot.partition, boot.bootcount, boot.fellBack]), [['A', 0, false], ['B', 1, false], ['A', 2, true]]);
      const env = await device.env();
      assert.equal(env.upgrade_available, '0');
      assert.equal(env.mender_boot_part, '2');
    };
    await Promise.all([
      withAbDevice(OPTIONS, async (device) => {
        await fallBack(device);
        assert.match(await expectMender(device, ['rollback'], 0), /No update available, so no rollback needed/);
        assert.equal(await showArtifact(device), 'release-1');
        await expectMender(device, ['commit'], 2);
        await device.reboot();
        assert.equal(device.activePartition(), 'A');
      }),
      withAbDevice(OPTIONS, async (device) => {
        await fallBack(device);
        const commit = await expectMender(device, ['commit'], 1);
        assert.match(commit, /Expected \\"upgrade_available\\" flag to be true but it was false/);
        assert.equal((await device.env()).mender_boot_part, '2');
        // The failed commit ran the failure states and cleared the update: nothing left to roll back.
        await expectMender(device, ['rollback'], 2);
        assert.equal(await showArtifact(device), 'release-1');
        await device.reboot();
        assert.equal(device.activePartition(), 'A');
        assert.equal(await booted(device), 'release-1');
      }),
    ]);
  });

  it('a wrong device type: the client refuses it (rc 1) and B keeps every byte', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const envBefore = await device.env();
      const before = await device.partitionSha256('B');
      const output = await expectMender(device, ['install', '--reboot-exit-code', artifacts.otherType], 1);
      assert.match(output, /not compatible with device sim-dev/);
      assert.equal(await device.partitionSha256('B'), before);
      assert.deepEqual(await device.env(), envBefore);
    });
  });

  it('cleanup: nothing of a device is left after destroy, also when the work threw', async () => {
    let root = '';
    await assert.rejects(withAbDevice(OPTIONS, async (device) => {
      root = device.root;
      const daemon = device.spawn('sleep', ['600']);
      await expectMender(device, ['install', '--reboot-exit-code', artifacts.release2], 4);
      assert.equal(leftovers(root).filter((item) => item.startsWith('process')).length > 0, true);
      void daemon;
      throw new Error('the test failed');
    }), /the test failed/);
    assert.deepEqual(leftovers(root), []);

    const device = await createAbDevice(OPTIONS);
    await device.destroy();
    await device.destroy();
    assert.deepEqual(leftovers(device.root), []);
    assert.throws(() => device.activePartition(), /not running/);
  });

  it('two devices at once do not see each other', async () => {
    const [one, two] = await Promise.all([createAbDevice(OPTIONS), createAbDevice({ ...OPTIONS, artifactName: 'other-1' })]);
    try {
      const twoB = await two.partitionSha256('B');
      await Promise.all([
        expectMender(one, ['install', '--reboot-exit-code', artifacts.release2], 4),
        expectMender(two, ['show-artifact'], 0),
      ]);
      await one.reboot();
      assert.equal(await booted(one), 'release-2');
      assert.equal(await booted(two), 'other-1');
      assert.equal((await two.env()).upgrade_available, '0');
      assert.equal(await two.partitionSha256('B'), twoB);
      await expectMender(two, ['commit'], 2);
      await expectMender(one, ['commit'], 0);
      assert.equal(await showArtifact(two), 'other-1');
    } finally {
      await Promise.all([one.destroy(), two.destroy()]);
    }
    assert.deepEqual([...leftovers(one.root), ...leftovers(two.root)], []);
  });

  it('an update that does not boot falls back by itself: the bootloader retries until bootlimit', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      await expectMender(device, ['install', '--reboot-exit-code', artifacts.unbootable], 4);
      await device.reboot();
      assert.equal(device.activePartition(), 'A');
      assert.equal(await booted(device), 'release-1');
      const [, failed, fellBack] = device.boots();
      assert.match(failed?.failure ?? '', /no ext4 file system/);
      assert.equal(failed?.partition, 'B');
      assert.equal(fellBack?.fellBack, true);
      assert.equal((await device.env()).upgrade_available, '0');
      assert.match(await expectMender(device, ['rollback'], 0), /No update available/);
    });
  });

  it('a power cut kills every process of the boot, a daemon included; /data persists and /run does not', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      await device.run('sh', ['-c', 'echo kept > /data/note && echo lost > /run/note']);
      const daemon = device.spawn('sh', ['-c', 'echo up; exec sleep 600']);
      await new Promise((up) => daemon.stdout.once('data', up));
      await device.powerCut();
      const ended = await daemon.exited;
      assert.equal(ended.signal, 'SIGKILL');
      assert.equal((await device.run('cat', ['/data/note'])).stdout, 'kept\n');
      assert.equal((await device.run('cat', ['/run/note'])).code, 1);
    });
  });

  it('a clean reboot gives processes SIGTERM first; a process inside can ask for the reboot', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const daemon = device.spawn('sh', ['-c', 'trap "echo stopped > /data/daemon; exit 0" TERM; echo up; while :; do sleep 1; done']);
      await new Promise((up) => daemon.stdout.once('data', up));
      const requested = device.rebootRequested();
      assert.equal((await device.run('sh', ['-c', `${REBOOT_COMMAND} && echo asked`])).stdout, 'asked\n');
      await requested;
      const firstBoot = device.bootId();
      await device.reboot();
      assert.equal((await daemon.exited).code, 0);
      assert.notEqual(device.bootId(), firstBoot);
      assert.equal((await device.run('cat', ['/data/daemon'])).stdout, 'stopped\n');
      const pending = assert.rejects(device.rebootRequested(), /ended without a reboot request/);
      await device.destroy();
      await pending;
    });
  });

  it('a power cut mid-install: B partly written, env untouched, A boots, nothing pending, a new install works', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const whole = readFileSync(artifacts.large);
      const before = await device.partitionSha256('B');
      const install = device.spawn('sh', ['-c', 'cat | mender --no-syslog install --reboot-exit-code /dev/stdin'], { input: 'open' });
      install.stdin?.write(whole.subarray(0, whole.length >> 1));
      // The rest never comes: wait until the client has written into B, then cut.
      for (let polls = 0; (await device.partitionSha256('B')) === before; polls++) {
        assert.ok(polls < 3000, `B unchanged, install output:\n${install.output().stderr}`);
        await new Promise((later) => setTimeout(later, 10));
      }
      await device.powerCut();
      assert.equal((await install.exited).signal, 'SIGKILL');
      const env = await device.env();
      assert.equal(env.upgrade_available, '0');
      assert.equal(env.mender_boot_part, '2');
      assert.equal(device.activePartition(), 'A');
      assert.equal(await booted(device), 'release-1');
      assert.match(await expectMender(device, ['commit'], 2), /There is nothing to commit/);
      await expectMender(device, ['rollback'], 2);
      await expectMender(device, ['install', '--reboot-exit-code', artifacts.large], 4);
      await device.reboot();
      assert.equal(await booted(device), 'large-2');
    });
  });

  it('kill() signals a command inside; stdin is fed from a Buffer or a file', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const sleeper = device.spawn('sleep', ['600']);
      await sleeper.kill('SIGTERM');
      assert.equal((await sleeper.exited).signal, 'SIGTERM');
      assert.equal((await device.run('cat', [], { input: Buffer.from('piped') })).stdout, 'piped');
      await assert.rejects(device.run('sh', ['-c', 'echo hanging; exec sleep 600'], { timeoutMs: 300 }), /sleep 600: no answer within 300 ms\nhanging/);
      // Node gives a child's stdin as a socket, which /dev/stdin cannot open (ENXIO): the client needs
      // a real pipe (or a FIFO) in between, in this simulator as on a device.
      const socket = await mender(device, ['install', '--reboot-exit-code', '/dev/stdin'], { input: { file: artifacts.release2 } });
      assert.equal(socket.code, 1);
      assert.match(socket.output, /open \/dev\/stdin: no such device or address/);
      const piped = await device.run('sh', ['-c', 'cat | mender --no-syslog install --reboot-exit-code /dev/stdin'], { input: { file: artifacts.release2 } });
      assert.equal(piped.code, 4, piped.output);
      await device.reboot();
      assert.equal(await booted(device), 'release-2');
    });
  });

  it('with a verify key the client installs the signed artifact and refuses the unsigned one', async () => {
    await withAbDevice({ ...OPTIONS, verifyKeyPem: keyPem('rsa3072.pub') }, async (device) => {
      const before = await device.partitionSha256('B');
      await expectMender(device, ['install', '--reboot-exit-code', artifacts.release2], 1);
      assert.equal(await device.partitionSha256('B'), before);
      await expectMender(device, ['install', '--reboot-exit-code', artifacts.signed], 4);
      await device.reboot();
      assert.equal(await booted(device), 'signed-2');
    });
  });
});

describe('the simulated bootloader step (U-Boot bootcount + meta-mender altbootcmd)', () => {
  const pending = { mender_boot_part: '3', mender_boot_part_hex: '3', upgrade_available: '1', bootcount: '0', bootlimit: '1' };
  const rows: Array<[string, Record<string, string>, ReturnType<typeof bootloaderStep>]> = [
    ['nothing pending: no change, bootcount not counted', { ...pending, upgrade_available: '0', bootcount: '7' }, { changes: {}, bootcount: 0, fellBack: false }],
    ['first boot of an update: counted', pending, { changes: { bootcount: '1' }, bootcount: 1, fellBack: false }],
    ['past bootlimit: back to the other partition, nothing pending', { ...pending, bootcount: '1' }, {
      changes: { bootcount: '2', mender_boot_part: '2', mender_boot_part_hex: '2', upgrade_available: '0' }, bootcount: 2, fellBack: true,
    }],
    ['past bootlimit from A: back to B', { ...pending, mender_boot_part: '2', bootcount: '1' }, {
      changes: { bootcount: '2', mender_boot_part: '3', mender_boot_part_hex: '3', upgrade_available: '0' }, bootcount: 2, fellBack: true,
    }],
    ['bootlimit 3: the third boot still tries', { ...pending, bootlimit: '3', bootcount: '2' }, { changes: { bootcount: '3' }, bootcount: 3, fellBack: false }],
    ['bootlimit 0 disables the limit', { ...pending, bootlimit: '0', bootcount: '50' }, { changes: { bootcount: '51' }, bootcount: 51, fellBack: false }],
  ];
  for (const [title, env, expected] of rows) it(title, () => assert.deepEqual(bootloaderStep(env), expected));
});
