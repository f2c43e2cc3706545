// `usb-updater install` inside the A/B simulator, the real Mender client doing the install: a signed
// artifact is installed from a stick folder into the inactive partition and the reboot requested;
// a rejected one never reaches the client; nothing starts while an update is pending; the artifact
// running is not installed again.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mender, needsAbDevice, withAbDevice, type AbDevice } from '../support/simulator/ab-device.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { RELEASE_FILE, writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';
import { manifestSha256 } from '../support/simulator/device-sticks.js';
import { makeFolders } from '../support/harness/temp.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';
const OPTIONS = { deviceType: TYPE, artifactName: 'release-1.0' };

interface InstallJson {
  outcome: string;
  rebooting?: boolean;
  summary?: string;
  deployment?: { artifactName: string; state: string; manifestSha256: string; size: number };
}

describe('usb-updater install in the A/B simulator', { skip }, () => {
  let dir = '';
  let config = '';
  const stick = { good: '', unsigned: '', both: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-install-'));
    makeFolders(dir, stick);
    const sign = { signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') };
    await Promise.all([
      writeRootfsArtifact({ output: join(stick.good, 'release-2.0.mender'), name: 'release-2.0', deviceTypes: [TYPE], ...sign }),
      writeRootfsArtifact({ output: join(stick.unsigned, 'release-3.0.mender'), name: 'release-3.0', deviceTypes: [TYPE] }),
      writeRootfsArtifact({ output: join(stick.both, 'release-2.0.mender'), name: 'release-2.0', deviceTypes: [TYPE], ...sign }),
      writeRootfsArtifact({ output: join(stick.both, 'release-9.0-other.mender'), name: 'release-9.0', deviceTypes: ['other-dev'], ...sign }),
    ]);
    config = join(dir, 'config.yaml');
    writeSimConfig(config);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const install = async (device: AbDevice, path: string): Promise<{ code: number; json: InstallJson; output: string }> => {
    const result = await device.run('node', [BIN, 'install', '--json', '-c', config, path], { timeoutMs: 120_000 });
    return { code: result.code, json: JSON.parse(result.stdout || '{}') as InstallJson, output: result.output };
  };

  it('installs the accepted artifact into the inactive partition and asks for the reboot', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const before = await device.partitionSha256('B');
      const reboot = device.rebootRequested();
      const result = await install(device, stick.both);
      assert.equal(result.code, 0, result.output);
      assert.equal(result.json.outcome, 'installed');
      assert.equal(result.json.rebooting, true);
      assert.equal(result.json.deployment?.artifactName, 'release-2.0');
      assert.equal(result.json.deployment?.state, 'ArtifactReboot');
      // The artifact is named by its manifest, which pins every other member; the size is what was streamed.
      assert.equal(result.json.deployment?.manifestSha256, manifestSha256(join(stick.both, 'release-2.0.mender')));
      assert.equal(result.json.deployment?.size, statSync(join(stick.both, 'release-2.0.mender')).size);
      await reboot;
      const env = await device.env();
      assert.equal(env.upgrade_available, '1');
      assert.equal(env.mender_boot_part, '3');
      assert.notEqual(await device.partitionSha256('B'), before);
      const status = await device.run('node', [BIN, 'status', '--json', '-c', config]);
      assert.equal(status.code, 0, status.output);
      const parsed = JSON.parse(status.stdout) as { journal: { state: string }; history: { outcome: string; artifactName: string }[] };
      assert.equal(parsed.journal.state, 'ArtifactReboot');
      assert.deepEqual(parsed.history.map((e) => [e.outcome, e.artifactName]), [['installed', 'release-2.0']]);

      // Pending: neither our journal nor the bootloader lets a second install start.
      const again = await install(device, stick.good);
      assert.equal(again.code, 1, again.output);
      assert.match(again.output, /error INSTALL_PENDING_UPDATE: deployment \S+ of release-2\.0 is still pending \(ArtifactReboot\)/);

      await device.reboot();
      assert.equal(device.activePartition(), 'B');
      assert.equal((await device.run('cat', [RELEASE_FILE])).stdout.trim(), 'release-2.0');
    });
  });

  it('a rejected artifact never reaches the client: the inactive partition is unchanged', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const before = await device.partitionSha256('B');
      const result = await install(device, stick.unsigned);
      assert.equal(result.code, 3, result.output);
      assert.equal(result.json.outcome, 'nothing');
      assert.match(result.output, /REJECT \S+release-3\.0\.mender: UNSIGNED: not signed/);
      assert.equal(await device.partitionSha256('B'), before);
      assert.equal((await device.env()).upgrade_available, '0');
    });
  });

  it('refuses while the bootloader has an update pending that our journal does not know of', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const direct = await mender(device, ['install', '--reboot-exit-code', join(stick.good, 'release-2.0.mender')]);
      assert.equal(direct.code, 4, direct.output);
      const result = await install(device, stick.good);
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /error INSTALL_PENDING_UPDATE: the bootloader has an update pending \(upgrade_available=1\)/);
    });
  });
});
