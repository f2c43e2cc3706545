// Issue 17: one stick, a round of devices, one summary. Three A/B simulator devices, each with its
// own machine id (on its data partition, so it survives the update), share one stick image holding
// a signed release-2.0, as a technician carries it: alpha installs it, restarts, its boot check
// commits and the stick brings the outcome back; bravo installs it and the technician leaves before
// its restart (boot check pending); charlie is another device type (nothing installed). The reports
// the daemons wrote are read by `usb-updater reports` on the stick, then on a copy of the folder with
// damaged files added, each refused with its reason.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeviceRow, ReportSummary } from '../../src/feedback/index.js';
import { appSpecificId } from '../../src/system/report/machine-identity.js';
import { DemoSticks, type PluggedStick } from '../demo/demo-sticks.js';
import { runProcess } from '../support/harness/process.js';
import { createAbDevice, needsAbDevice, type AbDevice, type BootProcess } from '../support/simulator/ab-device.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';
const MEDIA = '/run/usb-updater/media';
const MACHINE_ID_LINK = { '/etc/machine-id': '/data/machine-id' };
const IDS = { alpha: '11111111111111111111111111111111', bravo: '22222222222222222222222222222222', charlie: '33333333333333333333333333333333' };

const count = (text: string, needle: string): number => text.split(needle).length - 1;

async function waitFor(daemon: BootProcess, text: string, times = 1, ms = 90_000): Promise<void> {
  const start = Date.now();
  while (count(daemon.output().stderr, text) < times) {
    if (Date.now() - start > ms) throw new Error(`the daemon did not log ${text} ${times} time(s) within ${ms} ms:\n${daemon.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('issue 17: usb-updater reports on one stick shared by three simulated devices', { skip }, () => {
  let dir = '';
  let config = '';
  let sticks: DemoSticks | null = null;
  const devices: AbDevice[] = [];
  let stick = { label: 'FIELD-KIT', loop: '' };

  before(async () => {
    dir = mkdtempSync('/tmp/usb-updater-test-reports-');
    const folder = join(dir, 'stick');
    mkdirSync(folder);
    await writeRootfsArtifact({ output: join(folder, 'release-2.0.mender'), name: 'release-2.0', deviceTypes: [TYPE], signKey: `${KEYS}rsa3072.key`, links: MACHINE_ID_LINK });
    config = join(dir, 'config.yaml');
    writeSimConfig(config, { mediaRoot: MEDIA });
    sticks = new DemoSticks(MEDIA);
    stick = await sticks.make(folder, 'FIELD-KIT', 32);
  });

  after(async () => {
    for (const device of devices) await device.destroy();
    await sticks?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  async function device(name: keyof typeof IDS, deviceType: string): Promise<AbDevice> {
    const made = await createAbDevice({ deviceType, artifactName: 'release-1.0', workDir: dir, verifyKeyPem: keyPem('rsa3072.pub'), links: MACHINE_ID_LINK });
    devices.push(made);
    writeFileSync(join(made.root, 'data', 'machine-id'), `${IDS[name]}\n`);
    return made;
  }

  async function daemonOn(on: AbDevice): Promise<BootProcess> {
    const daemon = on.spawn('node', [BIN, 'daemon', '-c', config, '--log-format', 'json', '--usb-module', 'usb-detection-not-installed']);
    await waitFor(daemon, '"following media"');
    return daemon;
  }

  async function stop(daemon: BootProcess): Promise<void> {
    await daemon.kill('SIGTERM').catch(() => undefined);
    await daemon.exited.catch(() => undefined);
  }

  it('one row per device with its outcome, the pending boot check, and damaged files refused one by one', async () => {
    assert.ok(sticks);
    // alpha: installs, restarts, commits at the next start; the stick, plugged in again, gets the outcome.
    const alpha = await device('alpha', TYPE);
    let daemon = await daemonOn(alpha);
    const reboot = alpha.rebootRequested();
    await sticks.plug(alpha, stick);
    await waitFor(daemon, '"usb-updater: installed release-2.0"');
    await waitFor(daemon, '"report written to the stick"');
    await reboot;
    await stop(daemon);
    await alpha.reboot();
    daemon = await daemonOn(alpha);
    let plugged: PluggedStick = await sticks.plug(alpha, stick);
    // The boot check's report, then the visit's (the update is already installed).
    await waitFor(daemon, '"report written to the stick"', 2);
    await stop(daemon);
    await sticks.unplug(alpha, plugged);

    // bravo: installs; the technician takes the stick before it restarts.
    const bravo = await device('bravo', TYPE);
    daemon = await daemonOn(bravo);
    bravo.rebootRequested().catch(() => undefined);
    plugged = await sticks.plug(bravo, stick);
    await waitFor(daemon, '"usb-updater: installed release-2.0"');
    await waitFor(daemon, '"report written to the stick"');
    await stop(daemon);
    await sticks.unplug(bravo, plugged);

    // charlie: another device type, nothing installed; the summary is read on the stick there.
    const charlie = await device('charlie', 'other-dev');
    daemon = await daemonOn(charlie);
    plugged = await sticks.plug(charlie, stick);
    await waitFor(daemon, '"report written to the stick"');
    await stop(daemon);
    const onStick = await charlie.run('node', [BIN, 'reports', plugged.mountPoint, '--json']);
    assert.equal(onStick.code, 0, onStick.output);
    const summary = JSON.parse(onStick.stdout) as ReportSummary;
    const row = (name: keyof typeof IDS): DeviceRow | undefined => summary.devices.find((d) => d.device === appSpecificId(IDS[name]));
    assert.equal(summary.devices.length, 3, onStick.stdout);
    assert.equal(summary.read, 5);
    // alpha's newest report is the visit's; its last update, the commit, stays beside it.
    assert.deepEqual([row('alpha')?.outcome, row('alpha')?.lastUpdate?.outcome, row('alpha')?.lastUpdate?.after, row('alpha')?.reason?.code, row('alpha')?.reports], ['nothing', 'committed', 'release-2.0', 'ALREADY_INSTALLED', 3]);
    assert.deepEqual([row('bravo')?.outcome, row('bravo')?.before, row('bravo')?.after, row('bravo')?.bootCheckPending], ['installed', 'release-1.0', 'release-2.0', true]);
    assert.deepEqual([row('charlie')?.outcome, row('charlie')?.deviceType, row('charlie')?.reason?.code, row('charlie')?.after], ['nothing', 'other-dev', 'DEVICE_TYPE_MISMATCH', 'release-1.0']);
    assert.deepEqual(summary.pending, [appSpecificId(IDS.bravo)]);
    assert.deepEqual(summary.refused, []);

    // A copy of the folder on the laptop, with damaged files beside the real ones.
    const copy = join(dir, 'copy');
    const copied = await charlie.run('cp', ['-r', `${plugged.mountPoint}/usb-updater-reports`, copy]);
    assert.equal(copied.code, 0, copied.output);
    await sticks.unplug(charlie, plugged);
    const real = readdirSync(copy).filter((n) => n.endsWith('.json')).sort();
    assert.equal(real.length, 5);
    const first = readFileSync(join(copy, real[0] ?? ''), 'utf8');
    writeFileSync(join(copy, 'cut-short.json'), first.slice(0, first.length / 2));
    writeFileSync(join(copy, 'newer.json'), first.replace('"format": 1', '"format": 7'));
    writeFileSync(join(copy, 'junk.json'), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    writeFileSync(join(copy, 'no-device.json'), JSON.stringify({ ...(JSON.parse(first) as object), device: null }));
    symlinkSync('/etc/passwd', join(copy, 'link.json'));
    execFileSync('mkfifo', [join(copy, 'fifo.json')]);
    const laptop = await runProcess(process.execPath, [BIN, 'reports', copy, '--json'], { timeoutMs: 30_000 });
    assert.equal(laptop.code, 1, laptop.output);
    const withDamage = JSON.parse(laptop.stdout) as ReportSummary;
    assert.deepEqual(withDamage.devices, summary.devices.map((d) => ({ ...d, file: join(copy, d.file.split('/').at(-1) ?? '') })));
    assert.deepEqual(Object.fromEntries(withDamage.refused.map((r) => [r.file.slice(copy.length + 1), r.reason.replace(/\(.*\)/, '(…)')])), {
      'cut-short.json': 'not JSON (…)',
      'fifo.json': 'a FIFO, not a regular file',
      'junk.json': 'not UTF-8 text',
      'link.json': 'a link: not followed',
      'newer.json': 'report format 7: written by a newer usb-updater, which reads it',
      'no-device.json': 'damaged: device: Invalid input: expected object, received null',
    });
  });
});
