// Issue 18 in the A/B simulator: the reboot command is killed by a signal at the same moment the
// daemon gets SIGTERM, as systemd's shutdown does to a service without a D-Bus system bus. Nothing is
// rolled back: the new slot boots, the boot-time check commits, and the stick left in installs
// nothing. (The same with real systemd, with and without dbus, runs in the virtual device: test/vm.)

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REBOOT_COMMAND } from '../support/simulator/ab-boot.js';
import { needsAbDevice, withAbDevice, type AbDevice } from '../support/simulator/ab-device.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { RELEASE_FILE, writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';
import { SIM_MEDIA_ROOT, SimSticks, waitForLog } from '../support/simulator/sim-stick.js';
import { makeFolders } from '../support/harness/temp.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';

interface StatusJson {
  journal: { state: string; lastError: { code: string } | null } | null;
  history: { outcome: string; artifactName: string; cause: string | null }[];
}

describe('issue 18: a reboot request cut short by the shutdown it started', { skip }, () => {
  let dir = '';
  let config = '';
  const sticks = { good: '' };
  const plugged = new SimSticks();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-reboot-shutdown-'));
    makeFolders(dir, sticks);
    await writeRootfsArtifact({ output: join(sticks.good, 'release-2.0.mender'), name: 'release-2.0', deviceTypes: [TYPE], signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') });
    // The reboot is asked for (the simulator's own request), then the shutdown strikes: SIGTERM to
    // the daemon (this command's parent) and to the command itself, before it can return.
    const reboot = join(dir, 'reboot-then-shutdown');
    writeFileSync(reboot, `#!/bin/sh\n${REBOOT_COMMAND}\nkill -TERM "$PPID"\nkill -TERM $$\nsleep 5\n`);
    chmodSync(reboot, 0o755);
    config = join(dir, 'config.yaml');
    writeSimConfig(config, { mediaRoot: SIM_MEDIA_ROOT, rebootCommand: reboot });
  });

  after(() => {
    plugged.unplugAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (device: AbDevice): Promise<StatusJson> => {
    const result = await device.run('node', [BIN, 'status', '--json', '-c', config]);
    assert.equal(result.code, 0, result.output);
    return JSON.parse(result.stdout) as StatusJson;
  };

  it('nothing is rolled back: the update stays pending, the next boot commits it, the stick left in installs nothing', async () => {
    await withAbDevice({ deviceType: TYPE, artifactName: 'release-1.0' }, async (device) => {
      const daemon = device.spawn('node', [BIN, 'daemon', '-c', config, '--usb-module', 'usb-detection-not-installed']);
      await waitForLog(daemon, '"following media"');
      const rebootAsked = device.rebootRequested();
      await plugged.plug(device, sticks.good, 'good');
      await rebootAsked;
      const ended = await daemon.exited;
      const log = daemon.output().stderr;
      assert.equal(ended.code, 0, log);
      assert.match(log, /"stopping","reason":"SIGTERM"/);
      assert.match(log, /installed release-2\.0; the reboot is under way \(this process received SIGTERM while the reboot was requested: the system is shutting down\); the next boot's health check decides/);
      assert.match(log, /"usb-updater: installed release-2\.0".*"rebooting":true/);
      assert.doesNotMatch(log, /rolling the install back|usb-updater: failed/);
      // Pending, as after a power cut at this moment: the bootloader points at the new slot.
      const env = await device.env();
      assert.deepEqual([env.upgrade_available, env.mender_boot_part], ['1', '3']);
      const pending = await status(device);
      assert.equal(pending.journal?.state, 'ArtifactReboot');
      assert.equal(pending.journal?.lastError, null);

      await device.reboot();
      // The boot that mounted the stick is over: its loop device can go; the stick is made anew.
      plugged.unplugAll();
      assert.equal(device.activePartition(), 'B');
      const check = await device.run('node', [BIN, 'health', '--json', '-c', config], { timeoutMs: 180_000 });
      assert.equal(check.code, 0, check.output);
      assert.equal((JSON.parse(check.stdout) as { status: string }).status, 'committed');
      assert.equal((await device.env()).upgrade_available, '0');
      assert.equal((await device.run('cat', [RELEASE_FILE])).stdout.trim(), 'release-2.0');

      // The stick is still in at the next boot of the daemon: nothing to install, no loop.
      const next = device.spawn('node', [BIN, 'daemon', '-c', config, '--usb-module', 'usb-detection-not-installed']);
      try {
        await waitForLog(next, '"following media"');
        await plugged.plug(device, sticks.good, 'good');
        await waitForLog(next, '"usb-updater: nothing to install"');
        assert.match(next.output().stderr, /"usb-updater: nothing to install".*"ALREADY_INSTALLED"/);
      } finally {
        await next.kill('SIGTERM');
        assert.equal((await next.exited).code, 0, next.output().stderr);
      }
      const history = (await status(device)).history.map((e) => [e.outcome, e.artifactName]);
      assert.deepEqual(history, [['committed', 'release-2.0'], ['installed', 'release-2.0']]);
    });
  });
});
