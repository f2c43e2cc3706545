// The daemon in the A/B simulator: a stick mounted under the media root is detected, its artifact
// checked and installed through the real client, and the reboot requested; a second stick during
// the install is reported and ignored; a stick with nothing acceptable is logged with its reasons.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { needsAbDevice, withAbDevice } from '../support/ab-device.js';
import { BIN, KEYS, keyPem } from '../support/fixtures.js';
import { writeRootfsArtifact } from '../support/rootfs-image.js';
import { writeSimConfig } from '../support/sim-config.js';
import { SIM_MEDIA_ROOT, SimSticks, waitForLog as waitFor } from '../support/sim-stick.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';
const OPTIONS = { deviceType: TYPE, artifactName: 'release-1.0' };
const MEDIA = SIM_MEDIA_ROOT;
const plugged = new SimSticks(MEDIA);

describe('usb-updater daemon in the A/B simulator', { skip }, () => {
  let dir = '';
  let config = '';
  const sticks = { good: '', rejected: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-daemon-'));
    for (const name of Object.keys(sticks) as (keyof typeof sticks)[]) {
      sticks[name] = join(dir, name);
      mkdirSync(sticks[name]);
    }
    const sign = { signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') };
    await Promise.all([
      writeRootfsArtifact({ output: join(sticks.good, 'release-2.0.mender'), name: 'release-2.0', deviceTypes: [TYPE], ...sign }),
      writeRootfsArtifact({ output: join(sticks.rejected, 'release-3.0.mender'), name: 'release-3.0', deviceTypes: ['other-dev'], ...sign }),
    ]);
    config = join(dir, 'config.yaml');
    writeSimConfig(config, { mediaRoot: MEDIA });
  });

  after(() => {
    // The device's boot (and with it every mount of these loops) is gone by now.
    plugged.unplugAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs from a stick as it is mounted, logs a rejected stick with its reasons, and stops on SIGTERM', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const daemon = device.spawn('node', [BIN, 'daemon', '-c', config, '--usb-module', 'usb-detection-not-installed']);
      try {
        await waitFor(daemon, '"following media"');
        await plugged.plug(device, sticks.rejected, 'other');
        await waitFor(daemon, '"nothing to install"');
        assert.match(daemon.output().stderr, /"nothing to install".*"DEVICE_TYPE_MISMATCH"/);
        assert.equal((await device.env()).upgrade_available, '0');

        const reboot = device.rebootRequested();
        await plugged.plug(device, sticks.good, 'good');
        await reboot;
        await waitFor(daemon, '"installed"');
        assert.match(daemon.output().stderr, /"installed","session":"[^"]+","artifact":"release-2\.0"/);
        const env = await device.env();
        assert.equal(env.upgrade_available, '1');
        assert.equal(env.mender_boot_part, '3');
      } finally {
        await daemon.kill('SIGTERM');
        const result = await daemon.exited;
        assert.equal(result.code, 0, daemon.output().stderr);
      }
    });
  });
});
