// `npm run bench:install` (as root): a rootfs image (512 MiB of mixed random and compressible data)
// in a signed gzip artifact, installed in the A/B device simulator through the bundle
// (dist/package/usb-updater.mjs, built here as `npm run package` does): by `usb-updater install STICK`
// and by the daemon with the stick mounted under its media root (install-daemon.ts), against
// `mender install FILE` and `cat FILE | mender install /dev/stdin`, side by side (alternating rounds,
// medians). The targets are issue 16's (TARGETS). It asserts nothing: it prints Markdown tables
// (medians and the fastest run, ratios, our CPU per 100 MiB streamed, node's peak, the machine's
// load), and rows that show where our time goes: other commands measured alongside, and our runs cut
// in three by our journal's timestamps.
//
// Every command runs inside the device under GNU time (`%e %U %S %M`); wall time is the host's clock
// around it. `%M` is the peak RSS of the largest process of the command's tree (Linux keeps the
// maximum over waited-for descendants), so the peak of each process, by name, is also sampled from
// /proc (VmHWM, a high-water mark) every 100 ms: that is how "node" is told apart from the client.
//
// Between installs the device goes back to where an install is allowed again, without a reboot:
// `mender rollback` before any reboot switches the bootloader back to A with upgrade_available=0
// and clears the client's pending state (checked each time through the env). Our journal stays in
// ArtifactReboot (the health check that would close it after the reboot is not built yet), so
// /data/usb-updater/journal.json goes, and ledger.jsonl with it, so that every run starts from the
// same state files. The untimed first round also pays for the first writes into partition B's
// sparse image file (about 4x slower than the later ones).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAbDevice, mender, needsAbDevice, type AbDevice } from '../support/simulator/ab-device.js';
import { KEYS, keyPem } from '../support/skip/fixtures.js';
import { runProcess } from '../support/harness/process.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { GNU_TIME, median } from './measure.js';
import { BENCH_DEVICE_TYPE, STATE_DIR, payloadFiles, writeInstallConfig } from './install-setup.js';
import { BenchDaemon, BenchStick, DAEMON_CONFIG_LINES, descendants, type DaemonSample } from './install-daemon.js';

const MIB = 1024 * 1024;
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
/** Issue 16's targets. */
const TARGETS = { vsPipe: 1.15, vsFile: 1.3, cpuPer100MiB: 0.15, nodePeakMiB: 64, firstByteS: 0.15 } as const;
const SAMPLE_MS = 100;
/** How long a fresh daemon is left alone before its first stick: its boot check and facts read ahead. */
const DAEMON_SETTLE_MS = 2000;
const COMMAND_TIMEOUT_MS = 10 * 60_000;

function say(line: string): void {
  process.stderr.write(`bench:install: ${line}\n`);
}

interface Sample {
  seconds: number;
  /** user + system CPU of the whole tree (GNU time). */
  cpuSeconds: number;
  /** GNU time's %M: the largest process of the tree. */
  treeRssMiB: number;
  /** VmHWM by process name, sampled. */
  peaks: Map<string, number>;
  /** Ours only: the run cut in three by the journal's timestamps (see phasesOf). */
  phases?: Phases;
}

interface Phases {
  /** From the start to the journal's ArtifactInstall, written just before the first byte goes to the client. */
  before: number;
  /** ArtifactInstall to `installed`: the stream into the client, until the client exits. */
  install: number;
  /** `installed` to the end: journal, ledger, reboot request, exit. */
  after: number;
}

interface Case {
  name: string;
  argv: readonly [string, ...string[]];
  /** The exit code of success (the client's `--reboot-exit-code` gives 4). */
  expect: number;
  /** It installs: the device has to be reset afterwards. */
  installs: boolean;
  /** It is ours: its journal tells where the time went. */
  journal?: boolean;
}

/** Folds the current VmHWM of every process below `pid` into `peaks` (by process name, in MiB). */
function samplePeaks(pid: number, peaks: Map<string, number>): void {
  for (const child of descendants(pid)) {
    let status: string;
    try {
      status = readFileSync(`/proc/${child}/status`, 'utf8');
    } catch {
      continue; // Ended meanwhile.
    }
    const name = /^Name:\s+(.+)$/m.exec(status)?.[1];
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    if (name === undefined || hwm === undefined) continue;
    peaks.set(name, Math.max(peaks.get(name) ?? 0, Number(hwm) / 1024));
  }
}

/**
 * Cuts a run of ours in three with the journal it left: its timestamps come from the same kernel
 * clock as the host's Date.now() (the device is namespaces, not a machine), to the millisecond.
 */
async function phasesOf(device: AbDevice, startMs: number, endMs: number): Promise<Phases> {
  const read = await device.run('cat', [`${STATE_DIR}/journal.json`]);
  if (read.code !== 0) throw new Error(`no journal after usb-updater install: ${read.output}`);
  const history = (JSON.parse(read.stdout) as { history: { state: string; event: string | null; at: string }[] }).history;
  const begun = history.find((step) => step.state === 'ArtifactInstall')?.at;
  const installed = history.find((step) => step.event === 'installed')?.at;
  if (begun === undefined || installed === undefined) throw new Error(`the journal lacks ArtifactInstall or installed: ${read.stdout}`);
  const [t0, t1] = [Date.parse(begun), Date.parse(installed)];
  return { before: (t0 - startMs) / 1000, install: (t1 - t0) / 1000, after: (endMs - t1) / 1000 };
}

/** Runs one case in the device under GNU time, sampling its processes' peaks; throws unless it exits as expected. */
async function measure(device: AbDevice, item: Case, timeFile: string): Promise<Sample> {
  const startMs = Date.now();
  const started = process.hrtime.bigint();
  const child = device.spawn(GNU_TIME, ['-f', '%e %U %S %M', '-o', timeFile, ...item.argv]);
  const peaks = new Map<string, number>();
  const sampler = setInterval(() => samplePeaks(child.pid, peaks), SAMPLE_MS);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => {
        void child.kill('SIGKILL');
        fail(new Error(`${item.name}: no answer within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
    });
    const result = await Promise.race([child.exited, timeout]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const endMs = Date.now();
    if (result.code !== item.expect) throw new Error(`${item.name}: exit ${result.code}, not ${item.expect}\n${result.output.slice(-3000)}`);
    // GNU time writes "Command exited with non-zero status N" first when the code is not 0.
    const [, user, system, maxKiB] = (readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    const sample: Sample = { seconds, cpuSeconds: (user ?? Number.NaN) + (system ?? Number.NaN), treeRssMiB: (maxKiB ?? Number.NaN) / 1024, peaks };
    if (item.journal === true) sample.phases = await phasesOf(device, startMs, endMs);
    return sample;
  } finally {
    clearInterval(sampler);
    clearTimeout(timer);
  }
}

/**
 * Back to "an install is allowed": the client rolls back (before any reboot), our state files go.
 * Then `sync` on the host: the install's writes to partition B are still dirty pages of its image
 * file, and their writeback would otherwise land on whichever run comes next.
 */
async function reset(device: AbDevice, after: string): Promise<void> {
  const pending = await device.env();
  if (pending.upgrade_available !== '1' || pending.mender_boot_part !== '3') {
    throw new Error(`${after}: the bootloader has no update pending (upgrade_available=${pending.upgrade_available}, mender_boot_part=${pending.mender_boot_part})`);
  }
  const rollback = await mender(device, ['rollback']);
  if (rollback.code !== 0) throw new Error(`mender rollback after ${after}: exit ${rollback.code}\n${rollback.output}`);
  const removed = await device.run('rm', ['-f', `${STATE_DIR}/journal.json`, `${STATE_DIR}/ledger.jsonl`]);
  if (removed.code !== 0) throw new Error(`rm in ${STATE_DIR}: ${removed.output}`);
  const env = await device.env();
  if (env.upgrade_available !== '0' || env.mender_boot_part !== '2') {
    throw new Error(`after the rollback: upgrade_available=${env.upgrade_available}, mender_boot_part=${env.mender_boot_part}`);
  }
  const synced = await runProcess('sync', [], { timeoutMs: COMMAND_TIMEOUT_MS });
  if (synced.code !== 0) throw new Error(`sync: ${synced.output}`);
}

interface Summary {
  seconds: number;
  /** The fastest run: the least disturbed by whatever else the machine was doing. */
  minSeconds: number;
  cpuSeconds: number;
  treeRssMiB: number;
  peaks: Map<string, number>;
  phases: Phases | null;
}

function summarize(samples: readonly Sample[]): Summary {
  const peaks = new Map<string, number>();
  for (const name of new Set(samples.flatMap((s) => [...s.peaks.keys()]))) {
    // Over the runs where the sampler saw it at all (a process shorter than SAMPLE_MS may be missed).
    peaks.set(name, median(samples.flatMap((s) => s.peaks.get(name) ?? [])));
  }
  return {
    seconds: median(samples.map((s) => s.seconds)),
    minSeconds: Math.min(...samples.map((s) => s.seconds)),
    cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
    treeRssMiB: median(samples.map((s) => s.treeRssMiB)),
    peaks,
    phases: samples.every((s) => s.phases !== undefined)
      ? {
          before: median(samples.map((s) => s.phases?.before ?? Number.NaN)),
          install: median(samples.map((s) => s.phases?.install ?? Number.NaN)),
          after: median(samples.map((s) => s.phases?.after ?? Number.NaN)),
        }
      : null,
  };
}

/** A row of the breakdown: `from` minus every one of `minus`, wall and CPU. */
function part(what: string, from: Summary, ...minus: Summary[]): string {
  const wall = minus.reduce((left, m) => left - m.seconds, from.seconds);
  const cpu = minus.reduce((left, m) => left - m.cpuSeconds, from.cpuSeconds);
  return `| ${what} | ${wall.toFixed(3)} | ${cpu.toFixed(2)} |`;
}

const peakOf = (summary: Summary, name: string): string => {
  const value = summary.peaks.get(name);
  return value === undefined ? '-' : value.toFixed(0);
};

interface DaemonSummary {
  name: string;
  /** The first stick after the daemon started and read its facts ahead: the warm case. */
  warm: { firstByte: number; clientExit: number; minClientExit: number; ownCpu: number; childCpu: number };
  /** The second stick: the bench's rollback in between changed the client's store, so the provides are read again. */
  again: { firstByte: number; clientExit: number };
  peakMiB: number;
}

function summarizeDaemon(name: string, turns: readonly { first: DaemonSample; second: DaemonSample }[]): DaemonSummary {
  const of = (pick: (t: { first: DaemonSample; second: DaemonSample }) => number): number => median(turns.map(pick));
  return {
    name,
    warm: { firstByte: of((t) => t.first.firstByte), clientExit: of((t) => t.first.clientExit), minClientExit: Math.min(...turns.map((t) => t.first.clientExit)), ownCpu: of((t) => t.first.ownCpu), childCpu: of((t) => t.first.childCpu) },
    again: { firstByte: of((t) => t.second.firstByte), clientExit: of((t) => t.second.clientExit) },
    peakMiB: Math.max(...turns.map((t) => Math.max(t.first.peakMiB, t.second.peakMiB))),
  };
}

const met = (ok: boolean): string => (ok ? 'met' : 'MISSED');
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

interface Context {
  runs: number;
  sizeMiB: number;
  artifactBytes: number;
  client: string;
  /** --node-option values given to our node processes. */
  nodeOptions: readonly string[];
  loadBefore: string;
  loadAfter: string;
}

function report(cases: readonly Case[], results: readonly Summary[], daemons: readonly DaemonSummary[], context: Context): string {
  const [ours, theirs, piped, check, nodeStart] = results;
  if (!ours || !theirs || !piped || !check || !nodeStart) throw new Error('bench:install: a case has no result');
  const per100 = context.artifactBytes / (100 * MIB);
  // Our CPU while streaming: the whole tree, less the client (its run through cat, cat included), less the check.
  const streamCpu = (summary: Summary): number => (summary.cpuSeconds - piped.cpuSeconds - check.cpuSeconds) / per100;
  const nodePeak = ours.peaks.get('node') ?? ours.treeRssMiB;
  const daemon = daemons[0];
  const lines = [
    '| case | wall s | fastest s | / mender FILE | / cat \\| mender | CPU s (tree) | node VmHWM MiB | mender VmHWM MiB |',
    '|---|---|---|---|---|---|---|---|',
    ...cases.map((item, i) => {
      const r = results[i] as Summary;
      return `| ${item.name} | ${r.seconds.toFixed(3)} | ${r.minSeconds.toFixed(3)} | ${(r.seconds / theirs.seconds).toFixed(3)} | ${(r.seconds / piped.seconds).toFixed(3)} | ${r.cpuSeconds.toFixed(2)} | ${peakOf(r, 'node')} | ${peakOf(r, 'mender')} |`;
    }),
    ...daemons.flatMap((d) => [
      `| ${d.name}: stick mounted → client exits (warm) | ${d.warm.clientExit.toFixed(3)} | ${d.warm.minClientExit.toFixed(3)} | ${(d.warm.clientExit / theirs.seconds).toFixed(3)} | ${(d.warm.clientExit / piped.seconds).toFixed(3)} | ${(d.warm.ownCpu + d.warm.childCpu).toFixed(2)} (own ${d.warm.ownCpu.toFixed(2)}) | ${d.peakMiB.toFixed(0)} | - |`,
      `| ${d.name}: stick mounted → first byte to the client (warm) | ${d.warm.firstByte.toFixed(3)} | | | | | | |`,
      `| ${d.name}: its second stick, after the client's store changed (the rollback): first byte, client exits | ${d.again.firstByte.toFixed(3)}, ${d.again.clientExit.toFixed(3)} | | | | | | |`,
    ]),
    '',
    '| target (issue 16) | measured | |',
    '|---|---|---|',
    `| install through us / \`cat FILE \\| mender install /dev/stdin\` <= ${TARGETS.vsPipe}: CLI | ${(ours.seconds / piped.seconds).toFixed(3)} | ${met(ours.seconds / piped.seconds <= TARGETS.vsPipe)} |`,
    `| install through us / \`mender install FILE\` <= ${TARGETS.vsFile}: CLI | ${(ours.seconds / theirs.seconds).toFixed(3)} | ${met(ours.seconds / theirs.seconds <= TARGETS.vsFile)} |`,
    ...(daemon === undefined ? [] : [
      `| the same, daemon (stick mounted → client exits, warm) / cat pipe; / FILE | ${(daemon.warm.clientExit / piped.seconds).toFixed(3)}; ${(daemon.warm.clientExit / theirs.seconds).toFixed(3)} | ${met(daemon.warm.clientExit / piped.seconds <= TARGETS.vsPipe)}; ${met(daemon.warm.clientExit / theirs.seconds <= TARGETS.vsFile)} |`,
      `| daemon: stick mounted → first byte to the client (warm) <= ${TARGETS.firstByteS * 1000} ms | ${(daemon.warm.firstByte * 1000).toFixed(0)} ms | ${met(daemon.warm.firstByte <= TARGETS.firstByteS)} |`,
    ]),
    `| our CPU while streaming, per 100 MiB (whole tree − client − check) <= ${TARGETS.cpuPer100MiB} s | ${streamCpu(ours).toFixed(3)} s | ${met(streamCpu(ours) <= TARGETS.cpuPer100MiB)} |`,
    ...(daemon === undefined ? [] : [`| the daemon's own CPU per 100 MiB, the check included (its node process, children apart) | ${(daemon.warm.ownCpu / per100).toFixed(3)} s | |`]),
    `| node peak RSS during an install <= ${TARGETS.nodePeakMiB} MiB: CLI; daemon | ${nodePeak.toFixed(0)}; ${daemon?.peakMiB.toFixed(0) ?? '-'} MiB | ${met(nodePeak <= TARGETS.nodePeakMiB)}; ${daemon === undefined ? '-' : met(daemon.peakMiB <= TARGETS.nodePeakMiB)} |`,
    ...results.slice(5).map((r, i) => `| ${cases[i + 5]?.name ?? ''}: CPU per 100 MiB streamed, node peak | ${streamCpu(r).toFixed(3)} s, ${peakOf(r, 'node')} MiB | |`),
    '',
    'Where the difference goes (differences of medians, so estimates; CPU time is steadier than wall time on a busy machine):',
    '',
    '| part | wall s | CPU s |',
    '|---|---|---|',
    part('the whole difference: usb-updater install - mender install FILE', ours, theirs),
    part('the cat pipe instead of a file: cat FILE \\| mender install /dev/stdin - mender install FILE', piped, theirs),
    part('before the stream (usb-updater check: Node start-up and module loading, config, device facts, search, header and signature)', check),
    part('of which Node start-up alone (node -e 0)', nodeStart),
    part('the rest: usb-updater install - cat pipe - check (lock, journal, fw_printenv, mender --version, streaming through Node: header re-read, the FIFO; reboot request)', ours, piped, check),
    '',
    ...(ours.phases === null ? [] : [
      'Ours, cut by the timestamps of the journal it writes (medians):',
      '',
      '| phase of usb-updater install | wall s |',
      '|---|---|',
      `| start to ArtifactInstall: Node start-up and modules, config and keys, lock, device facts (mender show-provides), search, header and signature, client detection (mender --version), fw_printenv | ${ours.phases.before.toFixed(3)} |`,
      `| ArtifactInstall to installed: streaming into the client until it exits (mender install FILE alone: ${theirs.seconds.toFixed(3)}; through cat: ${piped.seconds.toFixed(3)}) | ${ours.phases.install.toFixed(3)} |`,
      `| installed to the end: journal, ledger, reboot request, exit | ${ours.phases.after.toFixed(3)} |`,
      '',
    ]),
    `${context.sizeMiB} MiB rootfs image (ext4, ${Math.floor((context.sizeMiB * 7) / 8)} MiB of files: half random, a quarter text, a quarter zeros) -> ${(context.artifactBytes / MIB).toFixed(1)} MiB signed gzip artifact (RSA 3072).`,
    `Medians of ${context.runs} runs each, alternating, after one untimed run of each (a rollback and a host sync after every install, untimed); the daemon: a fresh one each round, left 2 s to read its facts ahead, then its first stick (the warm case: what a daemon waiting for a stick does) and a second one (the rollback in between changed the client's store, so its provides are read again); ${context.client}; Node ${process.version} in the device; the bundle (esbuild)${context.nodeOptions.length > 0 ? `, run as node ${context.nodeOptions.join(' ')}` : ''}.`,
    `Load average (1, 5, 15 min): ${context.loadBefore} at the start, ${context.loadAfter} at the end.`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The bundle `npm run package` makes, built into `dir`. */
async function buildBundle(dir: string): Promise<string> {
  const built = await runProcess('node', [join(REPO, '.ci/package.mjs'), '--no-deb', '--out', dir], { timeoutMs: COMMAND_TIMEOUT_MS });
  if (built.code !== 0) throw new Error(`building the bundle: ${built.output}`);
  return join(dir, 'usb-updater.mjs');
}

/**
 * A daemon turn: a fresh daemon, given the time to read its facts ahead (as one waiting for a stick
 * has), its first stick and its second, the device reset after each.
 */
async function daemonTurn(device: AbDevice, bin: string, config: string, stick: BenchStick, nodeOptions: readonly string[]): Promise<{ first: DaemonSample; second: DaemonSample }> {
  const daemon = await BenchDaemon.start(device, bin, config, nodeOptions);
  try {
    await new Promise((resolve) => setTimeout(resolve, DAEMON_SETTLE_MS));
    const first = await daemon.install(device, stick);
    await reset(device, 'the daemon\'s first stick');
    const second = await daemon.install(device, stick);
    await reset(device, 'the daemon\'s second stick');
    return { first, second };
  } finally {
    await daemon.stop();
  }
}

async function main(): Promise<void> {
  const skip = needsAbDevice();
  if (skip) throw new Error(`bench:install: ${skip}`);
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'size-mib': { type: 'string', default: '512' }, baseline: { type: 'string' }, 'no-daemon': { type: 'boolean', default: false }, 'node-option': { type: 'string', multiple: true, default: [] } } });
  // V8 or Node flags for our processes only (CLI and daemon), to weigh one: --node-option=--max-semi-space-size=1.
  const nodeOptions = values['node-option'];
  const runs = Number(values.runs);
  const sizeMiB = Number(values['size-mib']);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(sizeMiB) || sizeMiB < 32 || (values.baseline !== undefined && !existsSync(values.baseline))) {
    throw new Error('usage: bench:install [--runs 3] [--size-mib 512] (at least 32) [--baseline BUNDLE (another build\'s usb-updater.mjs or bin.js, under /tmp)] [--no-daemon]');
  }
  const loadBefore = load();
  // Under /tmp: the device sees the host's /tmp at the same path.
  const dir = mkdtempSync(join(tmpdir(), 'usb-updater-bench-install-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  // Ctrl-C: exit normally, so that the simulator's exit hook detaches the device and this folder goes.
  const interrupted = (): never => process.exit(130);
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted).once('exit', removeDir);
  let device: AbDevice | undefined;
  let benchStick: BenchStick | undefined;
  try {
    const bin = await buildBundle(join(dir, 'package'));
    const stick = join(dir, 'stick');
    mkdirSync(stick);
    const artifact = join(stick, 'release-2.0.mender');
    const config = join(dir, 'config.yaml');
    writeInstallConfig(config);
    const daemonConfig = join(dir, 'daemon.yaml');
    writeInstallConfig(daemonConfig, DAEMON_CONFIG_LINES);
    say(`writing a ${sizeMiB} MiB rootfs image and its signed gzip artifact`);
    let started = Date.now();
    await writeRootfsArtifact({
      output: artifact, name: 'release-2.0', deviceTypes: [BENCH_DEVICE_TYPE], imageMiB: sizeMiB,
      signKey: `${KEYS}rsa3072.key`, files: payloadFiles(sizeMiB),
    });
    const artifactBytes = statSync(artifact).size;
    say(`  ${(artifactBytes / MIB).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (!values['no-daemon']) benchStick = BenchStick.make(dir, artifact);
    started = Date.now();
    device = await createAbDevice({ deviceType: BENCH_DEVICE_TYPE, artifactName: 'release-1.0', partitionMiB: sizeMiB + 32, verifyKeyPem: keyPem('rsa3072.pub') });
    say(`device up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const client = `mender ${(await mender(device, ['--version'])).output.trim().split(/\s+/)[0] ?? '?'}`;
    const baseline = values.baseline;
    const cases: Case[] = [
      { name: '`usb-updater install -c CONFIG STICK`', argv: ['node', ...nodeOptions, bin, 'install', '-c', config, stick], expect: 0, installs: true, journal: true },
      { name: '`mender install --reboot-exit-code FILE`', argv: ['mender', '--no-syslog', 'install', '--reboot-exit-code', artifact], expect: 4, installs: true },
      {
        name: '`cat FILE \\| mender install --reboot-exit-code /dev/stdin`',
        argv: ['sh', '-c', 'cat "$1" | exec mender --no-syslog install --reboot-exit-code /dev/stdin', 'sh', artifact],
        expect: 4,
        installs: true,
      },
      { name: '`usb-updater check -c CONFIG STICK` (no install)', argv: ['node', ...nodeOptions, bin, 'check', '-c', config, stick], expect: 0, installs: false },
      { name: '`node -e 0`', argv: ['node', '-e', '0'], expect: 0, installs: false },
      // Another build (under /tmp, which the device sees), in the same rounds: before/after figures
      // of a change under the same load.
      ...(baseline === undefined ? [] : [{ name: `\`usb-updater install\` of ${baseline}`, argv: ['node', ...nodeOptions, baseline, 'install', '-c', config, stick] as const, expect: 0, installs: true, journal: true }]),
    ];
    const daemonBins = benchStick === undefined ? [] : [{ name: 'daemon', bin }, ...(baseline === undefined ? [] : [{ name: `daemon of ${baseline}`, bin: baseline }])];
    const timeFile = join(dir, 'time.txt');
    const samples: Sample[][] = cases.map(() => []);
    const daemonTurns: { first: DaemonSample; second: DaemonSample }[][] = daemonBins.map(() => []);
    for (let round = 0; round <= runs; round++) {
      say(round === 0 ? 'warm-up round (untimed)' : `round ${round} of ${runs} (load ${load()})`);
      for (const [index, item] of cases.entries()) {
        const sample = await measure(device, item, timeFile);
        if (item.installs) await reset(device, item.name);
        if (round > 0) samples[index]?.push(sample);
        say(`  ${item.name}: ${sample.seconds.toFixed(3)} s, ${sample.cpuSeconds.toFixed(2)} CPU s, ${sample.treeRssMiB.toFixed(0)} MiB`);
      }
      // The warm-up round has no daemon turn (the page cache is warm from the other cases' runs).
      if (round === 0 || benchStick === undefined) continue;
      for (const [index, { name, bin: daemonBin }] of daemonBins.entries()) {
        const turn = await daemonTurn(device, daemonBin, daemonConfig, benchStick, nodeOptions);
        daemonTurns[index]?.push(turn);
        say(`  ${name}: first byte ${turn.first.firstByte.toFixed(3)} s, client exits ${turn.first.clientExit.toFixed(3)} s, own CPU ${turn.first.ownCpu.toFixed(2)} s; second stick: first byte ${turn.second.firstByte.toFixed(3)} s; peak ${turn.second.peakMiB.toFixed(0)} MiB`);
      }
    }
    const daemons = daemonBins.map(({ name }, index) => summarizeDaemon(name, daemonTurns[index] ?? []));
    process.stdout.write(report(cases, samples.map(summarize), daemons, { runs, sizeMiB, artifactBytes, client, nodeOptions, loadBefore, loadAfter: load() }));
  } finally {
    await device?.destroy();
    benchStick?.detach();
    removeDir();
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted).off('exit', removeDir);
  }
}

await main();
