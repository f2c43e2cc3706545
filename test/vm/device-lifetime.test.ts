// The virtual device (issue 13): a Debian 13 device with a real kernel, systemd, udev and the
// usb-updater package, sticks hot-plugged as USB devices, the bootloader played between boots.
// Scenarios are chained over one device's life, a few boots rather than dozens (a TCG boot is
// 30-50 s), and each asserts what the guest shows. Timings go to the diagnostics, never asserted.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { deviceImage, PAYLOAD_RELEASE, type DeviceImage } from './device-image.js';
import { REQUEST_FILE, SIGNATURE_FILE, requestText } from '../../src/diagnostics/index.js';
import { signRequest } from '../../src/system/diagnostics/request-keys.js';
import { DEVICE_TYPE, FIRST_ARTIFACT, MOUNT_TIMEOUT_S, SIGN_KEY } from './guest-files.js';
import { bootedImage, daemonLine, linesSince, status, unitProps, waitReady, type Ready } from './guest-facts.js';
import { blankStick, exfatStick, fat32Stick, readStickFolder, twoPartitionStick, type StickImage } from './stick-images.js';
import { VirtualDevice, type Boot } from './virtual-device.js';
import { vmSkip } from './vm-gate.js';

const skip = vmSkip();
const REPORTS = 'usb-updater-reports';
/** An install of a ~300 MiB rootfs under TCG, with margin for a busy host. */
const INSTALL_MS = 8 * 60_000;

let image: DeviceImage | undefined;
async function theImage(t: TestContext): Promise<DeviceImage> {
  if (image === undefined) {
    image = await deviceImage();
    t.diagnostic(`image: base ${image.baseHit ? 'cached' : 'built'} in ${(image.baseMs / 1000).toFixed(1)} s; device layer ${image.deviceHit ? 'cached' : 'built'} in ${(image.deviceMs / 1000).toFixed(1)} s`);
  }
  return image;
}

/** The outcome of each JSON report on the stick. */
async function reportOutcomes(stick: StickImage): Promise<string[]> {
  const reports = await readStickFolder(stick, REPORTS);
  return Object.entries(reports).filter(([n]) => n.endsWith('.json')).map(([, c]) => String((JSON.parse(c) as { outcome?: string }).outcome)).sort();
}

/** Waits for two reports written to the stick from `mark` on: the boot check's outcome first, then this visit's. */
async function waitForTwoReports(boot: Boot, mark: number): Promise<void> {
  const written = daemonLine('report written to the stick');
  const first = await boot.qemu.console.waitFor(written, 120_000, mark);
  await boot.qemu.console.waitFor(written, 120_000, boot.qemu.console.lines.indexOf(first) + 1);
}

/**
 * A diagnostics request for this device type (issue 17), valid for two hours from now, in a folder
 * of its own: its two files (signed) or the request alone (unsigned), to put on a stick.
 */
async function diagnosticsRequest(dir: string, signed: boolean): Promise<string[]> {
  await mkdir(dir);
  const now = Date.now();
  const text = requestText({ format: 1, device_type: DEVICE_TYPE, issued: new Date(now - 60_000).toISOString(), expires: new Date(now + 2 * 3_600_000).toISOString(), nonce: 'feedc0de0123456789abcdef01234567' });
  await writeFile(`${dir}/${REQUEST_FILE}`, text);
  if (!signed) return [`${dir}/${REQUEST_FILE}`];
  await writeFile(`${dir}/${SIGNATURE_FILE}`, signRequest(readFileSync(SIGN_KEY, 'utf8'), SIGN_KEY, Buffer.from(text)));
  return [`${dir}/${REQUEST_FILE}`, `${dir}/${SIGNATURE_FILE}`];
}

interface JsonReport {
  outcome?: string;
  diagnostics?: { status: string; folder?: string; code?: string };
}

/** The JSON reports on the stick. */
async function jsonReports(stick: StickImage): Promise<JsonReport[]> {
  const reports = await readStickFolder(stick, REPORTS);
  return Object.entries(reports).filter(([n]) => n.endsWith('.json')).map(([, c]) => JSON.parse(c) as JsonReport);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Plugs `stick` and waits for the daemon to see it mounted; returns the plug→mounted latency. */
async function plugAndMount(t: TestContext, device: VirtualDevice, stick: StickImage, id: string): Promise<number> {
  const { qemu } = device.running;
  const mark = qemu.console.mark();
  const plugged = Date.now();
  await device.plug(stick, id);
  await qemu.console.waitFor(daemonLine('stick mounted'), 60_000, mark);
  const latency = Date.now() - plugged;
  t.diagnostic(`${stick.kind} stick ${stick.serial}: plug → "stick mounted" ${seconds(latency)}`);
  return latency;
}

/** Boots and waits for the daemon; `expect` is the slot and image the boot must come up in. */
async function bootInto(t: TestContext, device: VirtualDevice, expect: { slot: 'A' | 'B'; release: string }, sticks: Record<string, StickImage> = {}): Promise<{ boot: Boot; ready: Ready }> {
  const boot = await device.boot(sticks);
  const ready = await waitReady(boot);
  t.diagnostic(`boot into ${boot.slot} (bootcount ${boot.step.bootcount}${boot.step.fellBack ? ', fell back' : ''}): power-on → daemon following media ${seconds(ready.bootMs)}`);
  assert.equal(boot.slot, expect.slot, 'the bootloader chose the expected slot');
  const booted = await bootedImage(ready.agent);
  assert.deepEqual(booted, { release: expect.release, root: `/dev/vda${expect.slot === 'A' ? 2 : 3}` }, 'the image the guest runs');
  return { boot, ready };
}

/** The trial boot of `artifact`: the health unit committed it before boot-complete.target. */
async function assertCommitted(ready: Ready, artifact: string): Promise<void> {
  const health = await unitProps(ready.agent, 'usb-updater-health.service', ['Result', 'ExecMainStatus', 'ActiveEnterTimestampMonotonic']);
  assert.equal(health.Result, 'success');
  const env = await ready.agent.check('fw_printenv upgrade_available');
  assert.equal(env.trim(), 'upgrade_available=0', 'committed: no update pending in the bootloader');
  assert.equal((await ready.agent.check('mender show-artifact 2>/dev/null')).trim(), artifact);
  const target = await unitProps(ready.agent, 'boot-complete.target', ['ActiveState', 'ActiveEnterTimestampMonotonic']);
  assert.equal(target.ActiveState, 'active', 'boot-complete.target reached');
  assert.ok(Number(target.ActiveEnterTimestampMonotonic) >= Number(health.ActiveEnterTimestampMonotonic), 'boot-complete.target after the health unit');
  const journal = await ready.agent.check('journalctl -b -o cat -u usb-updater-health.service');
  assert.match(journal, /commit/i, journal);
}

test('a device\'s life: sticks over USB, reboots, a pulled stick, a second stick, kill -9, a failed health check', { skip, timeout: 60 * 60_000 }, async (t) => {
  const img = await theImage(t);
  const dir = await mkdtemp('/tmp/usb-updater-vm-');
  const device = await VirtualDevice.create(img, dir);
  t.diagnostic(`console: ${device.consoleFile} (kept when the test fails)`);
  const daemonPid = async (ready: Ready): Promise<string> => (await unitProps(ready.agent, 'usb-updater.service', ['MainPID'])).MainPID ?? '';
  const hasBus = async (ready: Ready): Promise<boolean> => (await ready.agent.run('test -S /run/dbus/system_bus_socket')).code === 0;
  const started = Date.now();
  try {
    // Boot 1, slot A: the factory image (Debian minbase: no D-Bus).
    let { boot, ready } = await bootInto(t, device, { slot: 'A', release: FIRST_ARTIFACT });

    await t.test('kill -9 of the idle daemon: systemd restarts it', async () => {
      const before = await daemonPid(ready);
      const mark = boot.qemu.console.mark();
      await ready.agent.check(`kill -9 ${before}`);
      await boot.qemu.console.waitFor(daemonLine('following media'), 120_000, mark);
      const after = await unitProps(ready.agent, 'usb-updater.service', ['MainPID', 'NRestarts', 'ActiveState']);
      assert.notEqual(after.MainPID, before);
      assert.equal(after.ActiveState, 'active');
      assert.equal(after.NRestarts, '1');
    });

    await t.test('issue 16: the services left V8\'s code cache in /var/cache/usb-updater, and a command takes it', async () => {
      const files = (await ready.agent.check('ls -A /var/cache/usb-updater')).trim().split('\n');
      assert.equal(files.length, 1, files.join('\n'));
      assert.match(files[0] ?? '', /^usb-updater-[0-9a-f]{16}-.+\.v8cache$/);
      const debug = await ready.agent.check('NODE_DEBUG=usb-updater usb-updater --version 2>&1 >/dev/null');
      assert.match(debug, /code cache: accepted/, debug);
    });

    const blank = await blankStick(`${dir}/blank.img`, 'BLANK-0001');
    await t.test('issue 17: a stick with no filesystem shows MEDIA_UNREADABLE within media.mount_timeout, with its USB identity', async () => {
      const mark = boot.qemu.console.mark();
      const plugged = Date.now();
      await device.plug(blank, 'blank');
      // The time configured, plus the plug and the journal's way to the console on a busy host.
      const failed = await boot.qemu.console.waitFor(daemonLine('usb-updater: failed MEDIA_UNREADABLE'), (MOUNT_TIMEOUT_S + 30) * 1000, mark);
      t.diagnostic(`blank stick: plug → "failed MEDIA_UNREADABLE" ${seconds(Date.now() - plugged)} (media.mount_timeout ${MOUNT_TIMEOUT_S} s)`);
      assert.match(failed.text, /no-filesystem/, failed.text);
      assert.match(failed.text, /BLANK-0001/, 'the USB serial is logged');
      const phase = await boot.qemu.console.waitFor(daemonLine('phase failure'), 30_000, mark);
      assert.match(phase.text, /MEDIA_UNREADABLE/, phase.text);
      await device.pull('blank');
    });

    // It carries a signed diagnostics request too (issue 17): never read before the install's reboot, answered at the next visit.
    const fat = await fat32Stick(`${dir}/fat32.img`, 'UPDATES', 'FAT32-0001', [img.artifact('vm-2.0'), ...(await diagnosticsRequest(`${dir}/signed-request`, true))]);
    const second = await exfatStick(`${dir}/second.img`, 'SECOND', 'EXFAT-0002', [img.artifact('vm-3.0')]);
    await t.test('issue 18, no D-Bus: a FAT32 stick (partition table) mounted read-only, installed, rebooted into; a second stick meanwhile is ignored', async () => {
      assert.equal(await hasBus(ready), false, 'this image has no system bus');
      const mark = boot.qemu.console.mark();
      await plugAndMount(t, device, fat, 'fat');
      const options = await ready.agent.check('findmnt -rno FSTYPE,OPTIONS /run/usb-updater/media/sda1');
      assert.match(options, /^vfat ro,nosuid,nodev,noexec/, options);
      const installing = await boot.qemu.console.waitFor(daemonLine('phase installing'), 120_000, mark);
      await device.plug(second, 'second');
      await boot.qemu.console.waitFor(daemonLine('stick ignored: another stick is being handled'), 120_000, mark);
      await device.pull('second');
      assert.equal(await device.off(INSTALL_MS), 'reboot');
      t.diagnostic(`FAT32 install of vm-2.0, "phase installing" → QEMU exit: ${seconds(boot.qemu.console.lines.at(-1)!.at - installing.at)}`);
      assert.deepEqual(linesSince(boot, /rolling the install back/, mark), [], 'issue 18: not rolled back at its own reboot');
      assert.equal(linesSince(boot, daemonLine('usb-updater: installed vm-2.0'), mark).length, 1);
      assert.deepEqual(linesSince(boot, daemonLine('diagnostics'), mark), [], 'issue 17: the request waits; the reboot is not delayed');
    });

    // Boot 2, slot B: the trial boot of vm-2.0.
    let outcomes: string[] = [];
    ({ boot, ready } = await bootInto(t, device, { slot: 'B', release: PAYLOAD_RELEASE.healthy }));
    await t.test('the new slot is committed by the health unit; the stick plugged in again gets the report and installs nothing', async () => {
      await assertCommitted(ready, 'vm-2.0');
      const mark = boot.qemu.console.mark();
      await plugAndMount(t, device, fat, 'fat');
      const nothing = await boot.qemu.console.waitFor(daemonLine('usb-updater: nothing to install'), 120_000, mark);
      assert.match(nothing.text, /ALREADY_INSTALLED/);
      // This is the stick the update came from.
      await waitForTwoReports(boot, mark);
      await device.pull('fat');
      outcomes = await reportOutcomes(fat);
      assert.ok(outcomes.includes('installed') && outcomes.includes('nothing'), `reports: ${outcomes.join(', ')}`);
    });
    await t.test('issue 17: the signed diagnostics request on that stick got its bundle, named in the report, without the raw machine id', async () => {
      const answered = (await jsonReports(fat)).filter((r) => r.diagnostics !== undefined);
      assert.deepEqual(answered.map((r) => [r.outcome, r.diagnostics?.status]), [['nothing', 'written']]);
      const bundle = await readStickFolder(fat, answered[0]?.diagnostics?.folder ?? '');
      assert.deepEqual(Object.keys(bundle).sort(), ['journal.json', 'ledger.jsonl', 'service.log', 'status.json', 'summary.json']);
      const summary = JSON.parse(bundle['summary.json'] ?? '{}') as { device?: { deviceType?: string }; versions?: { client?: string; artifactName?: string } };
      assert.equal(summary.device?.deviceType, DEVICE_TYPE);
      assert.match(summary.versions?.client ?? '', /^mender .*3\.\d+/);
      assert.equal(summary.versions?.artifactName, 'vm-2.0');
      assert.match(bundle['service.log'] ?? '', /usb-updater\[\d+\]: .*stick mounted/, 'the service\'s own lines, from the journal');
      const machineId = (await ready.agent.check('cat /etc/machine-id')).trim();
      assert.match(machineId, /^[0-9a-f]{32}$/);
      for (const [name, content] of Object.entries(bundle)) assert.ok(!content.includes(machineId), `${name} holds the raw machine id`);
    });
    // The health unit, not the daemon, finished that deployment: the daemon learns its outcome from
    // the journal (finishedOnThisBoot) and reports it on the stick the update came from.
    await t.test('the stick the update came from gets the health check\'s outcome too', () => {
      assert.ok(outcomes.includes('committed'), `reports: ${outcomes.join(', ')}`);
    });

    const twoParts = await twoPartitionStick(`${dir}/two-partitions.img`, 'SECONDPART', 'TWOPART-0001', [img.artifact('vm-2.0')]);
    await t.test('issue 17: a stick with two partitions: both mounted, the artifact on the second one is found (installed already: nothing to do)', async () => {
      const mark = boot.qemu.console.mark();
      await plugAndMount(t, device, twoParts, 'two');
      const nothing = daemonLine('usb-updater: nothing to install');
      const first = await boot.qemu.console.waitFor(nothing, 120_000, mark);
      const second = await boot.qemu.console.waitFor(nothing, 120_000, boot.qemu.console.lines.indexOf(first) + 1);
      assert.ok([first, second].some((line) => /ALREADY_INSTALLED/.test(line.text)), `${first.text}\n${second.text}`);
      const mounts = await ready.agent.check('findmnt -rno SOURCE,FSTYPE | grep "^/dev/sd"');
      assert.equal(mounts.trim().split('\n').length, 2, mounts);
      await device.pull('two');
    });

    const exfat = await exfatStick(`${dir}/exfat.img`, 'EXFATSTICK', 'EXFAT-0001', [img.artifact('vm-3.0')]);
    await t.test('an exFAT superfloppy pulled in the middle of the install: nothing pending, the journal says why', async () => {
      const mark = boot.qemu.console.mark();
      await plugAndMount(t, device, exfat, 'exfat');
      await boot.qemu.console.waitFor(daemonLine('phase installing'), 120_000, mark);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      await device.pull('exfat');
      const failed = await boot.qemu.console.waitFor(daemonLine('usb-updater: failed'), 300_000, mark);
      t.diagnostic(`pulled: ${failed.text}`);
      assert.equal((await ready.agent.check('fw_printenv upgrade_available')).trim(), 'upgrade_available=0');
      assert.equal((await ready.agent.check('mender show-artifact 2>/dev/null')).trim(), 'vm-2.0');
    });

    await t.test('issue 18, with D-Bus: the same stick plugged in again installs; kill -9 during that install: one install, no double', async () => {
      // The bus arrives as an admin would add it: the Debian packages, installed on the running device.
      await ready.agent.check('dpkg -i /opt/usb-updater-vm/dbus-debs/*.deb && systemctl start dbus.socket dbus.service systemd-logind.service', 300_000);
      assert.equal(await hasBus(ready), true, 'a system bus now');
      const mark = boot.qemu.console.mark();
      await plugAndMount(t, device, exfat, 'exfat');
      await boot.qemu.console.waitFor(daemonLine('phase installing'), 120_000, mark);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      await ready.agent.check(`kill -9 ${await daemonPid(ready)}`);
      const killed = Date.now();
      assert.equal(await device.off(INSTALL_MS), 'reboot');
      t.diagnostic(`exFAT install of vm-3.0: kill -9 → QEMU exit: ${seconds(Date.now() - killed)}`);
      assert.deepEqual(linesSince(boot, /rolling the install back/, mark), [], 'issue 18: not rolled back at its own reboot');
      assert.equal(linesSince(boot, daemonLine('usb-updater: installed vm-3.0'), mark).length, 1, 'installed once after the restart');
    });

    // Boot 3, slot A: the trial boot of vm-3.0.
    ({ boot, ready } = await bootInto(t, device, { slot: 'A', release: PAYLOAD_RELEASE.healthy }));
    // With an unsigned diagnostics request (issue 17): refused, with the reason, when the stick left in is seen after the rollback.
    const unhealthy = await fat32Stick(`${dir}/unhealthy.img`, 'BADIMAGE', 'FAT32-0003', [img.artifact('vm-4.0'), ...(await diagnosticsRequest(`${dir}/unsigned-request`, false))]);
    await t.test('vm-3.0 is committed, once in the history; the exFAT stick plugged in again gets the outcome and installs nothing', async () => {
      await assertCommitted(ready, 'vm-3.0');
      const history = (await status(ready.agent)).history.filter((h) => h.artifactName === 'vm-3.0');
      t.diagnostic(`vm-3.0 history: ${JSON.stringify(history)}`);
      const mark = boot.qemu.console.mark();
      await plugAndMount(t, device, exfat, 'exfat');
      const nothing = await boot.qemu.console.waitFor(daemonLine('usb-updater: nothing to install'), 120_000, mark);
      assert.match(nothing.text, /ALREADY_INSTALLED/);
      // This stick is where vm-3.0 came from.
      await waitForTwoReports(boot, mark);
      await device.pull('exfat');
      const onExfat = await reportOutcomes(exfat);
      assert.ok(['installed', 'committed', 'nothing'].every((o) => onExfat.includes(o)), `reports: ${onExfat.join(', ')}`);
    });
    await t.test('an image whose health check fails is installed', async () => {
      await plugAndMount(t, device, unhealthy, 'unhealthy');
      assert.equal(await device.off(INSTALL_MS), 'reboot');
    });

    // Boot 4, slot B: the trial of vm-4.0 fails its check, rolls back, reboots (the stick stays in).
    boot = await device.boot({ unhealthy });
    await t.test('the failed health check rolls back and reboots into the old slot', async () => {
      assert.equal(boot.slot, 'B');
      await boot.qemu.console.waitFor(/rolled vm-4\.0 back; rebooting into the old image/, 300_000);
      assert.equal(await device.off(180_000), 'reboot');
    });

    // Boot 5, slot A again, with the stick still in.
    ({ boot, ready } = await bootInto(t, device, { slot: 'A', release: PAYLOAD_RELEASE.healthy }, { unhealthy }));
    await t.test('the old slot runs vm-3.0; the stick left in installs nothing', async () => {
      assert.equal((await ready.agent.check('mender show-artifact 2>/dev/null')).trim(), 'vm-3.0');
      await boot.qemu.console.waitFor(daemonLine('usb-updater: nothing to install'), 120_000);
      assert.equal((await ready.agent.check('fw_printenv upgrade_available')).trim(), 'upgrade_available=0');
      await waitForTwoReports(boot, 0);
    });
    await device.powerOff();
    await t.test('the stick left in has the rollback on it', async () => {
      const left = await reportOutcomes(unhealthy);
      assert.ok(['installed', 'rolled-back', 'nothing'].every((o) => left.includes(o)), `reports: ${left.join(', ')}`);
      const refused = (await jsonReports(unhealthy)).filter((r) => r.diagnostics !== undefined);
      // Every report that says a word of it says: refused, unsigned (never before the install's reboot).
      assert.ok(refused.some((r) => r.outcome === 'nothing'), JSON.stringify(refused));
      assert.deepEqual([...new Set(refused.map((r) => `${r.outcome} ${r.diagnostics?.status} ${r.diagnostics?.code}`))], ['nothing refused DIAGNOSTICS_REQUEST_UNSIGNED'], 'issue 17: the unsigned request is refused in the report');
    });
    t.diagnostic(`the whole life (5 boots): ${seconds(Date.now() - started)}`);
    await rm(dir, { recursive: true, force: true });
  } finally {
    await device.dispose();
    // After a failure the folder stays for its console log; the 1.5 GB disk image and the sticks go.
    const left = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(left.filter((f) => f.endsWith('.img')).map((f) => rm(`${dir}/${f}`, { force: true })));
  }
});
