// The daemon in the A/B simulator: a stick mounted under the media root is detected, its artifact
// checked and installed through the real client, and the reboot requested; a second stick during
// the install is reported and ignored; a stick with nothing acceptable is logged with its reasons
// and gets a report written back to it; a write-protected stick gets none and is installed. Each
// phase reaches a recording hook, a fake sysfs LED and a console file (issue 7). The stick with
// nothing acceptable also carries a signed diagnostics request: its bundle is written beside the
// report, which names it (issue 17).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { needsAbDevice, withAbDevice, type AbDevice, type BootProcess } from '../support/simulator/ab-device.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';
import { makeFolders } from '../support/harness/temp.js';
import { REQUEST_FILE, SIGNATURE_FILE, requestText } from '../../src/diagnostics/index.js';
import { signRequest } from '../../src/system/diagnostics/request-keys.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';
const OPTIONS = { deviceType: TYPE, artifactName: 'release-1.0' };
const MEDIA = '/run/usb-updater/media';

async function waitFor(daemon: BootProcess, text: string, ms = 60_000): Promise<void> {
  const start = Date.now();
  while (!daemon.output().stderr.includes(text)) {
    if (Date.now() - start > ms) throw new Error(`the daemon did not log ${JSON.stringify(text)} within ${ms} ms:\n${daemon.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const loops: string[] = [];

/**
 * A stick: an ext4 image holding `folder`, on a host loop device, mounted read-only under the media
 * root inside the device (its /dev is private: the node is made there with the loop's numbers).
 * The loop device is read-only, like a write-protected stick, unless `writable`.
 */
async function plug(device: AbDevice, folder: string, name: string, writable = false): Promise<void> {
  const image = `${folder}.img`;
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', folder, '-L', name.toUpperCase(), image, '8M']);
  const loop = execFileSync('losetup', ['-f', '--show', ...(writable ? [] : ['-r']), image], { encoding: 'utf8' }).trim();
  loops.push(loop);
  const rdev = statSync(loop).rdev;
  const [major, minor] = [Math.floor(rdev / 256) & 0xfff, (rdev & 0xff) | ((rdev >> 12) & 0xfff00)];
  const result = await device.run('sh', ['-c', `mknod /run/${name}-disk b ${major} ${minor} && mkdir -p ${MEDIA}/${name} && mount -o ro,nosuid,nodev,noexec /run/${name}-disk ${MEDIA}/${name}`]);
  assert.equal(result.code, 0, result.output);
}

describe('usb-updater daemon in the A/B simulator', { skip }, () => {
  let dir = '';
  let config = '';
  let led = '';
  const sticks = { good: '', rejected: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-daemon-'));
    makeFolders(dir, sticks);
    const sign = { signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') };
    await Promise.all([
      writeRootfsArtifact({ output: join(sticks.good, 'release-2.0.mender'), name: 'release-2.0', deviceTypes: [TYPE], ...sign }),
      writeRootfsArtifact({ output: join(sticks.rejected, 'release-3.0.mender'), name: 'release-3.0', deviceTypes: ['other-dev'], ...sign }),
    ]);
    const request = requestText({ format: 1, device_type: TYPE, issued: new Date(Date.now() - 60_000).toISOString(), expires: new Date(Date.now() + 3_600_000).toISOString(), nonce: '0123456789abcdef0123456789abcdef' });
    writeFileSync(join(sticks.rejected, REQUEST_FILE), request);
    writeFileSync(join(sticks.rejected, SIGNATURE_FILE), signRequest(keyPem('rsa3072.key'), 'rsa3072.key', Buffer.from(request)));
    config = join(dir, 'config.yaml');
    led = join(dir, 'leds', 'status');
    mkdirSync(led, { recursive: true });
    for (const file of ['trigger', 'brightness', 'delay_on', 'delay_off', 'max_brightness']) writeFileSync(join(led, file), file === 'max_brightness' ? '1' : '0');
    writeFileSync(join(dir, 'console'), '');
    writeSimConfig(config, {
      mediaRoot: MEDIA,
      extra: [
        'feedback:',
        `  sysfs_root: ${join(dir, 'leds')}`,
        '  leds: [{ name: status }]',
        `  hooks: [{ command: [sh, -c, 'echo "$USB_UPDATER_PHASE $USB_UPDATER_ARTIFACT $USB_UPDATER_PROGRESS" >> ${join(dir, 'phases')}'] }]`,
        `  console: { path: ${join(dir, 'console')} }`,
        'diagnostics:',
        '  enabled: true',
      ],
    });
  });

  after(() => {
    // The device's boot (and with it every mount of these loops) is gone by now.
    for (const loop of loops.splice(0)) spawnSync('losetup', ['-d', loop]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs from a stick as it is mounted, logs a rejected stick with its reasons, and stops on SIGTERM', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const daemon = device.spawn('node', [BIN, 'daemon', '-c', config, '--usb-module', 'usb-detection-not-installed']);
      try {
        await waitFor(daemon, '"following media"');
        await plug(device, sticks.rejected, 'other', true);
        await waitFor(daemon, '"usb-updater: nothing to install"');
        assert.match(daemon.output().stderr, /"usb-updater: nothing to install".*"DEVICE_TYPE_MISMATCH"/);
        assert.equal((await device.env()).upgrade_available, '0');
        // The report on that stick says why, and the stick is read-only again.
        await waitFor(daemon, '"report written to the stick"');
        const written = await device.run('sh', ['-c', `cat ${MEDIA}/other/usb-updater-reports/*.json && grep " ${MEDIA}/other " /proc/self/mountinfo`]);
        assert.equal(written.code, 0, written.output);
        const report = JSON.parse(written.stdout.slice(0, written.stdout.lastIndexOf('}') + 1)) as { outcome: string; device: { deviceType: string }; artifact: { before: string }; candidates: { path: string; reasons: { code: string; hint: string }[] }[] };
        assert.equal(report.outcome, 'nothing');
        assert.equal(report.device.deviceType, TYPE);
        assert.equal(report.artifact.before, 'release-1.0');
        assert.deepEqual(report.candidates.map((c) => [c.path, c.reasons.map((r) => r.code)]), [['release-3.0.mender', ['DEVICE_TYPE_MISMATCH']]]);
        assert.match(report.candidates[0]?.reasons[0]?.hint ?? '', /another kind of device/);
        assert.match(written.stdout.slice(written.stdout.lastIndexOf('}') + 1), / ro,nosuid,nodev,noexec[, ]/, 'read-only again, with the safe flags');
        // Issue 17: the signed request on that stick got its bundle, written before the report that names it.
        const { diagnostics } = JSON.parse(written.stdout.slice(0, written.stdout.lastIndexOf('}') + 1)) as { diagnostics?: { status: string; folder: string } };
        assert.equal(diagnostics?.status, 'written', JSON.stringify(diagnostics));
        const bundle = await device.run('sh', ['-c', `ls ${MEDIA}/other/${diagnostics?.folder ?? 'none'} && cat ${MEDIA}/other/${diagnostics?.folder ?? 'none'}/summary.json`]);
        assert.equal(bundle.code, 0, bundle.output);
        assert.deepEqual(bundle.stdout.split('\n').slice(0, 5), ['journal.json', 'ledger.jsonl', 'service.log', 'status.json', 'summary.json']);
        assert.match(bundle.stdout, /"artifactName": "release-1.0"/);
        assert.match(daemon.output().stderr, /"diagnostics request accepted".*"diagnostics bundle written to the stick".*"report written to the stick"/s);

        const reboot = device.rebootRequested();
        await plug(device, sticks.good, 'good');
        await reboot;
        await waitFor(daemon, '"usb-updater: installed release-2.0"');
        assert.match(daemon.output().stderr, /"usb-updater: installed release-2\.0","session":"[^"]+","artifact":"release-2\.0","deployment":"[^"]+"/);
        // A write-protected stick gets no report, and that changes nothing for the install.
        assert.match(daemon.output().stderr, /"report not written to the stick","mountPoint":"[^"]+\/good","reason":"write-protected"/);
        const env = await device.env();
        assert.equal(env.upgrade_available, '1');
        assert.equal(env.mender_boot_part, '3');

        // The rebooting hook was started before the reboot was asked for; it may still be writing.
        const phases = (): string[] => readFileSync(join(dir, 'phases'), 'utf8').split('\n').filter(Boolean);
        for (let tries = 0; tries < 200 && phases().at(-1) !== 'rebooting release-2.0 '; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
        const seen = phases().map((line) => line.split(' ')[0]);
        // Progress runs coalesce while a run is going: some installing lines, in order, none at 100.
        assert.deepEqual([...new Set(seen)], ['stick-seen', 'checking', 'nothing', 'installing', 'rebooting']);
        assert.ok(phases().every((line) => !line.endsWith(' 100')), phases().join('\n'));
        assert.equal(phases().at(-1), 'rebooting release-2.0 ');
        assert.deepEqual([readFileSync(join(led, 'trigger'), 'utf8'), readFileSync(join(led, 'brightness'), 'utf8')], ['none', '1']);
        assert.match(readFileSync(join(dir, 'console'), 'utf8'), /^usb-updater: nothing to install on this stick$/m);
        assert.match(readFileSync(join(dir, 'console'), 'utf8'), /usb-updater: installed release-2\.0; rebooting\n$/);
        assert.match(daemon.output().stderr, /"usb-updater: phase installing","deployment":"[^"]+","artifact":"release-2\.0","percent":0/);
      } finally {
        await daemon.kill('SIGTERM');
        const result = await daemon.exited;
        assert.equal(result.code, 0, daemon.output().stderr);
      }
    });
  });
});
