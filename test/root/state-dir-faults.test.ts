// Issue 8, trust and resources, with the real client in the A/B simulator: the state folder full
// (a small tmpfs filled up) or read-only (a read-only mount) when an install starts, and read-only
// during the boot-time check. The error is clear (STATE_WRITE_FAILED, naming the file), nothing is
// installed without a journal (partition B is not touched), nothing is committed without one, and
// the device stays bootable: once the folder is writable again, the deployment finishes. The mounts
// are made inside the device's boot and end with it.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mender, needsAbDevice, withAbDevice, type AbDevice } from '../support/simulator/ab-device.js';
import { Gate } from '../support/simulator/client-gate.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';

describe('the state folder full or read-only, in the A/B simulator', { skip }, () => {
  let dir = '';
  let stick = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-statedir-'));
    stick = join(dir, 'stick');
    mkdirSync(stick);
    await writeRootfsArtifact({ output: join(stick, 'release-2.0.mender'), name: 'release-2.0', deviceTypes: [TYPE], signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sh = async (device: AbDevice, script: string): Promise<void> => {
    const result = await device.run('sh', ['-c', script]);
    assert.equal(result.code, 0, result.output);
  };
  const cli = (device: AbDevice, gate: Gate, args: readonly string[], config: string): Promise<{ code: number; stdout: string; output: string }> =>
    device.run('node', [BIN, ...args, '-c', config], { timeoutMs: 180_000, env: gate.env });

  const FOLDERS = {
    // A 64 KiB tmpfs, filled to the last byte.
    full: 'mkdir -p /run/state-fs && mount -t tmpfs -o size=64k tmpfs /run/state-fs && (dd if=/dev/zero of=/run/state-fs/fill bs=4k 2>/dev/null || true)',
    'read-only': 'mkdir -p /run/state-fs && mount -t tmpfs -o size=1m tmpfs /run/state-fs && mkdir /run/state-fs/usb-updater && mount -o remount,ro /run/state-fs',
  } as const;

  for (const [kind, script] of Object.entries(FOLDERS)) {
    it(`an install with the state folder ${kind}: refused with STATE_WRITE_FAILED, nothing installed, the device unchanged`, async () => {
      await withAbDevice({ deviceType: TYPE, artifactName: 'release-1.0' }, async (device) => {
        const gate = new Gate(dir);
        const config = join(gate.dir, 'config.yaml');
        writeSimConfig(config, { stateDir: '/run/state-fs/usb-updater' });
        await sh(device, script);
        const before = await device.partitionSha256('B');
        const result = await cli(device, gate, ['install', stick], config);
        assert.equal(result.code, 1, result.output);
        assert.match(result.output, /STATE_WRITE_FAILED: \/run\/state-fs\/usb-updater\/\S+: (ENOSPC|EROFS)/);
        assert.deepEqual(gate.calls().filter((v) => v === 'install'), [], 'the client was started');
        assert.equal(await device.partitionSha256('B'), before, 'partition B was written');
        assert.equal((await device.env()).upgrade_available, '0');
        assert.equal((await mender(device, ['show-artifact'])).stdout.trim(), 'release-1.0');
        await device.reboot();
        assert.equal(device.activePartition(), 'A');
      });
    });
  }

  it('the boot-time check with the state folder read-only: a clear error, no commit; writable again at the next boot, it commits', async () => {
    await withAbDevice({ deviceType: TYPE, artifactName: 'release-1.0', bootlimit: 3 }, async (device) => {
      const gate = new Gate(dir);
      const config = join(gate.dir, 'config.yaml');
      writeSimConfig(config, {});
      const copy = join(gate.dir, 'stick');
      mkdirSync(copy);
      copyFileSync(join(stick, 'release-2.0.mender'), join(copy, 'release-2.0.mender'));
      const rebooting = device.rebootRequested();
      const install = await cli(device, gate, ['install', copy], config);
      assert.equal(install.code, 0, install.output);
      await rebooting;
      await device.reboot();
      assert.equal(device.activePartition(), 'B');
      await sh(device, 'mount --bind /data/usb-updater /data/usb-updater && mount -o remount,bind,ro /data/usb-updater');
      const stuck = await cli(device, gate, ['health'], config);
      assert.equal(stuck.code, 1, stuck.output);
      assert.match(stuck.output, /STATE_WRITE_FAILED: \/data\/usb-updater\/\S+: EROFS/);
      assert.ok(!gate.calls().includes('commit'), gate.calls().join(' '));
      assert.equal((await device.env()).upgrade_available, '1', 'the trial is still pending, for the next boot to decide');
      // The next boot (the bootloader allows three tries): the folder is writable again.
      await device.reboot();
      assert.equal(device.activePartition(), 'B');
      const done = await cli(device, gate, ['health', '--json'], config);
      assert.equal(done.code, 0, done.output);
      assert.equal((JSON.parse(done.stdout) as { status: string }).status, 'committed');
      assert.equal((await device.env()).upgrade_available, '0');
      assert.equal((await mender(device, ['show-artifact'])).stdout.trim(), 'release-2.0');
    });
  });
});
