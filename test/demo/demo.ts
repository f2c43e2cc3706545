// `npm run demo`: the whole story on one machine, as root, in well under a minute. An A/B device
// (the simulator, with the real Mender 3.4 client) runs release-1.0 and the daemon; stick 1 holds a
// signed release-2.0 for it: detected, checked, installed with progress, reboot, health check,
// committed. Stick 2 holds an artifact for another device type and an unsigned one: nothing
// installed, the reasons shown, and the report the daemon wrote back to the stick printed. Then the
// round of issue 17: stick 1 goes back to the device (the boot check's outcome is written to it),
// then to a second device of the same type (installed; the technician leaves before its restart)
// and a third of another type (nothing installed), and `usb-updater reports` on stick 1 prints one
// row per device. Each device has its own machine id on its data partition. Every line
// about the device quotes the daemon's log or console, `check`, `health --json` or `status --json`;
// the demo only plugs sticks in and reboots when the daemon asks. Everything made is removed, also
// on Ctrl-C.
// Options: --work-dir DIR (where the temp folder goes: /tmp, or a folder under it, since the
// simulated device shares the host's /tmp and reads the sticks' files there).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { appSpecificId } from '../../src/system/report/machine-identity.js';
import { createAbDevice, type AbDevice, type AbDeviceOptions, type BootProcess } from '../support/simulator/ab-device.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';
import { DemoSticks, type PluggedStick } from './demo-sticks.js';
import { LogFollower } from './log-follower.js';
import { Narrator, describeConsoleLine, describeDaemonLine, outcomeOf, type LogLine, type Sink } from './narration.js';
import { missingTools, onPath } from './required-tools.js';

const DEVICE_TYPE = 'demo-device';
/** The host folder the simulated device shares (ab-boot.ts binds it), whatever TMPDIR says. */
const SHARED_TMP = '/tmp';
/**
 * Incompressible data in release-2.0, so that its install lasts long enough (a few seconds here)
 * for the progress to show; the partitions are sized to hold it.
 */
const PAYLOAD_MIB = 40;
const PARTITION_MIB = 64;
const MEDIA_ROOT = '/run/usb-updater/media';
/** The machine id lives on the data partition, so a device keeps it across updates (and each has its own). */
const MACHINE_ID_LINK = { '/etc/machine-id': '/data/machine-id' };
/** Generous bounds for each wait: they only turn a hang into a failure, they time nothing. */
const WAIT_MS = 90_000;

/** The boot-time checks of the demo's config: the new image must say it is release-2.0, and /data must be there. */
const HEALTH = [
  'deadline: 1m',
  'checks:',
  '  - name: release',
  '    type: command',
  '    command: [grep, -qx, artifact_name=release-2.0, /etc/mender/artifact_info]',
  '    retries: 0',
  '  - name: data-partition',
  '    type: file',
  '    path: /data/mender/device_type',
];

interface HealthJson {
  status: string;
  journal?: { artifactName: string; classification: string | null; health: { passed: boolean; results: { name: string; passed: boolean; message: string }[] } | null };
}

interface StatusJson {
  journal: { state: string; artifactName: string } | null;
  history: { outcome: string; artifactName: string }[];
}

/** A stick: its folder (what the image holds), its label and its loop device. */
interface Stick {
  folder: string;
  label: string;
  loop: string;
}

/** What the demo made, undone in reverse by cleanUp(), once, whatever happened. */
class Resources {
  /** The signal that stopped the demo, if one did. */
  interrupted: 'SIGINT' | 'SIGTERM' | null = null;
  devices: AbDevice[] = [];
  sticks: DemoSticks | null = null;
  dir: string | null = null;
  private done: Promise<void> | null = null;

  cleanUp(): Promise<void> {
    this.done ??= (async () => {
      for (const device of this.devices) await device.destroy();
      await this.sticks?.remove();
      if (this.dir !== null) await rm(this.dir, { recursive: true, force: true });
    })();
    return this.done;
  }
}

/** The file's text, or nothing while it does not exist yet. */
function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Runs `usb-updater ARGS` in the device and parses its JSON output. */
async function cliJson<T>(device: AbDevice, args: readonly string[]): Promise<{ code: number; json: T }> {
  const result = await device.run('node', [BIN, ...args, '--json'], { timeoutMs: WAIT_MS });
  try {
    return { code: result.code, json: JSON.parse(result.stdout) as T };
  } catch {
    throw new Error(`usb-updater ${args.join(' ')} exited ${result.code} without JSON:\n${result.output}`);
  }
}

class Demo {
  private daemon: BootProcess | null = null;
  private follower: LogFollower | null = null;
  /** The device's feedback console (a file): where the install's progress shows. */
  private consoleLines: LogFollower | null = null;
  /** Who the daemon's stick lines are about, for the narration. */
  private stickName = 'stick';

  constructor(private readonly say: (text: string) => void, private readonly resources: Resources, private readonly workDir: string) {}

  async run(): Promise<string> {
    try {
      return await this.steps();
    } finally {
      await this.stopDaemon();
      this.consoleLines?.stop();
    }
  }

  private async steps(): Promise<string> {
    const dir = await mkdtemp(join(this.workDir, 'usb-updater-demo-'));
    this.resources.dir = dir;
    const config = join(dir, 'config.yaml');
    const sticks = new DemoSticks(MEDIA_ROOT);
    this.resources.sticks = sticks;
    this.say(`preparing: an A/B device (type ${DEVICE_TYPE}, running release-1.0) and two sticks, artifacts written by mender-artifact`);
    const [good, mixed] = await Promise.all([this.stickGood(dir, sticks), this.stickMixed(dir, sticks)]);
    // The feedback console goes to a file under /tmp, which the device shares: the install's progress.
    // The daemon opens a console without O_CREAT (a missing console is an error, not a new file).
    const consolePath = join(dir, 'console');
    await writeFile(consolePath, '');
    writeSimConfig(config, { mediaRoot: MEDIA_ROOT, health: HEALTH, extra: ['feedback:', '  console:', `    path: ${consolePath}`] });
    this.consoleLines = new LogFollower(() => readIfThere(consolePath), (line) => {
      const text = describeConsoleLine(String(line.message));
      if (text !== null) this.say(text);
    });
    const device = await this.device(dir, { deviceType: DEVICE_TYPE, partitionMiB: PARTITION_MIB });
    this.say(`boot 1: partition ${device.activePartition()}, release-1.0; config: signature required (1 key), 2 health checks`);

    await this.startDaemon(device, config);
    const reboot = device.rebootRequested();
    // Awaited below; when an earlier step fails, the boot's end rejects it and nobody listens.
    reboot.catch(() => undefined);
    this.stickName = `stick 1 (${good.label})`;
    await this.explainChoice(device, config, good.folder);
    this.say(`${this.stickName} plugged in`);
    const installed = this.waitFor('the outcome of stick 1', (l) => ['installed', 'failed', 'nothing'].includes(outcomeOf(l) ?? ''));
    await sticks.plug(device, good);
    const outcome = await installed;
    if (outcomeOf(outcome) !== 'installed') throw new Error(`stick 1 was not installed: ${JSON.stringify(outcome)}`);
    await reboot;
    await this.stopDaemon();
    this.say('rebooting (the daemon ran the reboot command)');
    await device.reboot();
    const env = await device.env();
    this.say(`boot 2: partition ${device.activePartition()}; bootloader: upgrade_available=${env.upgrade_available ?? '?'} bootcount=${env.bootcount ?? '?'}`);

    const health = await cliJson<HealthJson>(device, ['health', '-c', config]);
    this.say(`boot 2: health check (usb-updater-health.service): ${describeHealth(health.json)} (exit ${health.code})`);
    if (health.json.status !== 'committed') throw new Error(`the health check did not commit: ${JSON.stringify(health.json)}`);
    const committed = await this.deviceState(device, config);

    await this.startDaemon(device, config);
    this.stickName = `stick 2 (${mixed.label})`;
    await this.explainChoice(device, config, mixed.folder);
    const nothing = this.waitFor('the outcome of stick 2', (l) => ['installed', 'failed', 'nothing'].includes(outcomeOf(l) ?? ''));
    const report = this.waitFor('the report on stick 2', (l) => ['report', 'no-report'].includes(outcomeOf(l) ?? ''));
    this.say(`${this.stickName} plugged in`);
    const mixedPlugged = await sticks.plug(device, mixed);
    const second = await nothing;
    if (outcomeOf(second) !== 'nothing') throw new Error(`stick 2 was not refused: ${JSON.stringify(second)}`);
    await this.printReport(device, await report);
    await this.stopDaemon();
    await sticks.unplug(device, mixedPlugged);
    const after = await this.deviceState(device, config);
    if (after !== committed) throw new Error(`stick 2 changed the device: before "${committed}", after "${after}"`);

    // The round: stick 1 back into device 1, then into devices 2 and 3.
    this.stickName = 'stick 1 (DEMO-GOOD) on device 1';
    await this.startDaemon(device, config);
    let reports = 0;
    const two = this.waitFor('the two reports on stick 1', (l) => outcomeOf(l) === 'report' && ++reports === 2);
    this.say('the round: stick 1 goes back into device 1, then into devices 2 and 3');
    let plugged = await sticks.plug(device, good);
    await two;
    await this.stopDaemon();
    await sticks.unplug(device, plugged);

    const device2 = await this.device(dir, { deviceType: DEVICE_TYPE, partitionMiB: PARTITION_MIB });
    this.stickName = 'stick 1 (DEMO-GOOD) on device 2';
    await this.startDaemon(device2, config);
    device2.rebootRequested().catch(() => undefined);
    const installedOn2 = this.waitFor('the install on device 2', (l) => ['installed', 'failed', 'nothing'].includes(outcomeOf(l) ?? ''));
    const reportOn2 = this.waitFor('the report of device 2', (l) => outcomeOf(l) === 'report');
    plugged = await sticks.plug(device2, good);
    if (outcomeOf(await installedOn2) !== 'installed') throw new Error('device 2 did not install release-2.0');
    await reportOn2;
    await this.stopDaemon();
    await sticks.unplug(device2, plugged);
    this.say('device 2: the technician takes stick 1 before the restart (its boot check is still to come)');

    const third = await this.device(dir, { deviceType: 'other-device' });
    this.stickName = 'stick 1 (DEMO-GOOD) on device 3';
    await this.startDaemon(third, config);
    const reportOn3 = this.waitFor('the report of device 3', (l) => outcomeOf(l) === 'report');
    plugged = await sticks.plug(third, good);
    await reportOn3;
    await this.stopDaemon();
    return `committed release-2.0; stick 2 left the device unchanged; ${await this.summary(third, plugged)}`;
  }

  /** A simulated device running release-1.0 with a machine id of its own, narrated. */
  private async device(dir: string, options: Pick<AbDeviceOptions, 'deviceType' | 'partitionMiB'>): Promise<AbDevice> {
    const device = await createAbDevice({ ...options, artifactName: 'release-1.0', workDir: dir, verifyKeyPem: keyPem('rsa3072.pub'), links: MACHINE_ID_LINK });
    this.resources.devices.push(device);
    const machineId = randomBytes(16).toString('hex');
    await writeFile(join(device.root, 'data', 'machine-id'), `${machineId}\n`);
    const n = this.resources.devices.length;
    if (n > 1) this.say(`device ${n}: type ${options.deviceType}, release-1.0; its id in reports ${appSpecificId(machineId)}`);
    else this.say(`device 1: type ${options.deviceType}; its id in reports ${appSpecificId(machineId)}`);
    return device;
  }

  /** `usb-updater reports` on stick 1 (mounted in device 3), as a technician runs it on a laptop. */
  private async summary(device: AbDevice, stick: PluggedStick): Promise<string> {
    const result = await device.run('node', [BIN, 'reports', stick.mountPoint], { timeoutMs: WAIT_MS });
    if (result.code !== 0) throw new Error(`usb-updater reports exited ${result.code}: ${result.output}`);
    this.say(`usb-updater reports on stick 1:\n${result.stdout.trimEnd()}`);
    const devices = /^(\d+) devices?, /.exec(result.stdout)?.[1] ?? '?';
    const pending = /^Boot check pending \((\d+)\)/m.exec(result.stdout)?.[1] ?? '0';
    return `stick 1's summary: ${devices} devices, ${pending} boot check pending`;
  }

  private async stickGood(dir: string, sticks: DemoSticks): Promise<Stick> {
    const folder = join(dir, 'stick1');
    await mkdir(folder);
    await writeRootfsArtifact({
      output: join(folder, 'release-2.0.mender'),
      name: 'release-2.0',
      deviceTypes: [DEVICE_TYPE],
      signKey: `${KEYS}rsa3072.key`,
      imageMiB: PAYLOAD_MIB + 16,
      files: { '/opt/demo-app/data.bin': randomBytes(PAYLOAD_MIB * 1024 * 1024) },
      links: MACHINE_ID_LINK,
    });
    return { folder, ...(await sticks.make(folder, 'DEMO-GOOD', PAYLOAD_MIB + 32)) };
  }

  private async stickMixed(dir: string, sticks: DemoSticks): Promise<Stick> {
    const folder = join(dir, 'stick2');
    await mkdir(folder);
    await Promise.all([
      writeRootfsArtifact({ output: join(folder, 'release-9.0.mender'), name: 'release-9.0', deviceTypes: ['other-device'], signKey: `${KEYS}rsa3072.key` }),
      writeRootfsArtifact({ output: join(folder, 'release-3.0.mender'), name: 'release-3.0', deviceTypes: [DEVICE_TYPE] }),
    ]);
    return { folder, ...(await sticks.make(folder, 'DEMO-MIXED', 16)) };
  }

  private async startDaemon(device: AbDevice, config: string): Promise<void> {
    // The optional USB addon reports USB devices, and the demo's sticks are loop devices: left out.
    const daemon = device.spawn('node', [BIN, 'daemon', '-c', config, '--log-format', 'json', '--usb-module', 'usb-detection-not-installed']);
    this.daemon = daemon;
    this.follower = new LogFollower(() => daemon.output().stderr, (line) => {
      const text = describeDaemonLine(line, this.stickName);
      if (text !== null) this.say(text);
    });
    await this.waitFor('that the daemon follows media', (l) => outcomeOf(l) === 'ready');
  }

  private async stopDaemon(): Promise<void> {
    const daemon = this.daemon;
    this.daemon = null;
    if (daemon === null) return;
    await daemon.kill('SIGTERM').catch(() => undefined);
    await daemon.exited.catch(() => undefined);
    this.follower?.stop();
  }

  private waitFor(what: string, match: (line: LogLine) => boolean): Promise<LogLine> {
    if (this.follower === null) throw new Error('the daemon is not running');
    return this.follower.next(what, match, WAIT_MS);
  }

  /**
   * `usb-updater check` in the device on what a stick will hold (its folder under /tmp, which the
   * device shares): the daemon's own policy and device facts, each file's verdict explained.
   */
  private async explainChoice(device: AbDevice, config: string, folder: string): Promise<void> {
    const { json } = await cliJson<{ candidates: { path: string; verdict: string; selected: boolean; reasons: { code: string }[] }[] }>(device, ['check', '-c', config, folder]);
    const verdicts = json.candidates.map((c) => `${basename(c.path)} ${c.verdict.toUpperCase()}${c.selected ? ' (will be installed)' : ''}${c.reasons.map((r) => ` ${r.code}`).join('')}`);
    this.say(`${this.stickName} holds (usb-updater check): ${verdicts.join(', ')}`);
  }

  /** The text report the daemon wrote to the stick, read back from the stick inside the device. */
  private async printReport(device: AbDevice, line: LogLine): Promise<void> {
    const text = Array.isArray(line.files) ? line.files.find((f): f is string => typeof f === 'string' && f.endsWith('.txt')) : undefined;
    if (outcomeOf(line) !== 'report' || text === undefined) throw new Error(`no report on stick 2: ${JSON.stringify(line)}`);
    const result = await device.run('cat', [text]);
    if (result.code !== 0) throw new Error(`the report ${text} cannot be read: ${result.output}`);
    // The report ends its lines with CRLF for every laptop's editor; the narration with LF.
    this.say(`the report on ${this.stickName}, ${text.split('/').slice(-2).join('/')}:\n${result.stdout.replace(/\r\n/g, '\n').trimEnd()}`);
  }

  /** `status --json` and the bootloader, narrated; returns a fingerprint to compare later. */
  private async deviceState(device: AbDevice, config: string): Promise<string> {
    const { json } = await cliJson<StatusJson>(device, ['status', '-c', config]);
    const env = await device.env();
    const state = `partition ${device.activePartition()}, upgrade_available=${env.upgrade_available ?? '?'}, deployment ${json.journal ? `${json.journal.artifactName} ${json.journal.state}` : 'none'}, ${json.history.length} ledger entries`;
    this.say(`status: ${state}`);
    return state;
  }
}

function describeHealth(health: HealthJson): string {
  const journal = health.journal;
  if (journal === undefined) return health.status;
  const checks = journal.health?.results.map((r) => `${r.name} ${r.passed ? 'passed' : `failed (${r.message})`}`).join(', ') ?? 'no checks run';
  return `${journal.classification ?? 'boot'}, ${checks} -> ${health.status} ${journal.artifactName}`;
}

/** The demo from the checks on; resolves with its exit code (0 ok, 1 failed or a tool missing, 2 not root). */
export async function main(argv: readonly string[], out: Sink, resources = new Resources()): Promise<number> {
  const narrator = new Narrator(out);
  const say = (text: string): void => narrator.say(text);
  if (process.getuid?.() !== 0) {
    out.write('npm run demo needs root: it attaches loop devices and mounts them in namespaces of their own (run: sudo npm run demo)\n');
    return 2;
  }
  const missing = missingTools((tool) => onPath(tool, process.env.PATH));
  if (missing.aptLine !== null) {
    out.write(`npm run demo needs tools that are not installed:\n${missing.tools.map((t) => `  ${t.tool} (Debian package ${t.pkg})`).join('\n')}\nInstall them with:\n  ${missing.aptLine}\n`);
    return 1;
  }
  const workIndex = argv.indexOf('--work-dir');
  const workDir = resolve(workIndex >= 0 ? argv[workIndex + 1] ?? '' : SHARED_TMP);
  if (workDir !== SHARED_TMP && !workDir.startsWith(`${SHARED_TMP}/`)) {
    out.write(`--work-dir must be ${SHARED_TMP} or a folder under it (the simulated device shares only the host's ${SHARED_TMP})\n`);
    return 2;
  }
  const demo = new Demo(say, resources, workDir);
  try {
    const summary = await demo.run();
    say(`demo: OK (${summary})`);
    return 0;
  } catch (error) {
    // A step cut short by Ctrl-C fails too: that is the interruption, not a failure of the demo.
    if (resources.interrupted === null) say(`demo: FAILED (${error instanceof Error ? error.message : String(error)})`);
    return 1;
  } finally {
    await resources.cleanUp();
    say(CLEANED_UP);
  }
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
const CLEANED_UP = 'cleaned up: device, loop devices, mounts and temp files removed';

/** Ctrl-C or SIGTERM: remove everything, then exit 130 (143), whatever the steps still running do. */
function onSignals(resources: Resources, out: Sink): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      resources.interrupted = signal;
      out.write(`\n${signal}: stopping the demo and cleaning up\n`);
      void resources
        .cleanUp()
        .then(() => out.write(`${CLEANED_UP}\n`))
        .finally(() => process.exit(SIGNAL_EXIT[signal]));
    });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const resources = new Resources();
  onSignals(resources, process.stdout);
  // Exit at once: everything of ours is gone by now, and nothing else may hold the demo up.
  const code = await main(process.argv.slice(2), process.stdout, resources);
  process.exit(resources.interrupted === null ? code : SIGNAL_EXIT[resources.interrupted]);
}

