// The report behind `npm run bench:media` (as root): the latency from `mount` returning to the media
// event reaching our code, over real mounts of an ext4 image on a loop device; and the CPU time and
// memory of the idle daemon (with its findmnt and USB monitor children) over a quiet minute: RSS, PSS
// and USS (private pages: what ending that process gives back) of each, from /proc/PID/smaps_rollup,
// measured on the bundle (dist/package/usb-updater.mjs, `npm run package`) when it is built. It
// prints a Markdown table and asserts nothing.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_MEDIA_OPTIONS, watchMedia, type MediaEvent } from '../../src/media/index.js';
import { realMediaSystem } from '../../src/system/media/media-system.js';
import type { Logger } from '../../src/log/logger.js';
import { LoopSticks } from '../support/harness/loop-sticks.js';

const BUNDLE = fileURLToPath(new URL('../../package/usb-updater.mjs', import.meta.url));
const BIN = existsSync(BUNDLE) ? BUNDLE : fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
/** Issue 16: the idle daemon and its children, PSS in all. */
const IDLE_PSS_TARGET_MIB = 40;
const LATENCY_TARGET_MS = 250;
const IDLE_CPU_TARGET_S = 0.5;

const say = (line: string): void => void process.stderr.write(`${line}\n`);
const quiet: Logger = { info: () => undefined, warn: (m) => say(`warn: ${m}`), error: (m) => say(`error: ${m}`) };
/** Wall-clock milliseconds with sub-millisecond precision, comparable with `date +%s.%N`. */
interface Memory {
  name: string;
  mib: number;
  pssMib: number;
  /** Unique set size: the process's private pages, clean and dirty. */
  ussMib: number;
}

const nowMs = (): number => performance.timeOrigin + performance.now();

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Runs `mount` (or umount) in a shell that prints the wall-clock time the moment it returns. */
function timed(command: string): Promise<{ startMs: number; returnedMs: number }> {
  const startMs = nowMs();
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', `${command} && date +%s.%N`], (err: Error | null, stdout: string) => {
      if (err) reject(err);
      else resolve({ startMs, returnedMs: Number(stdout.trim()) * 1000 });
    });
  });
}

async function mountLatency(sticks: LoopSticks, count: number): Promise<{ fromReturn: number[]; fromStart: number[] }> {
  const device = sticks.stick('ext4', 'BENCH');
  const root = `${sticks.dir}/media`;
  const mountPoint = `${root}/bench`;
  mkdirSync(mountPoint, { recursive: true });
  let arrived: ((at: number) => void) | null = null;
  const onEvent = (event: MediaEvent): void => {
    if (event.type === 'mounted' && arrived) arrived(nowMs());
  };
  const options = { ...DEFAULT_MEDIA_OPTIONS, roots: [root], allowLoopDevices: true };
  const watch = await watchMedia(realMediaSystem(quiet), options, quiet, onEvent);
  const fromReturn: number[] = [];
  const fromStart: number[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i < count; i += 1) {
      const event = new Promise<number>((resolve) => { arrived = resolve; });
      const { startMs, returnedMs } = await timed(`mount -o ro,nosuid,nodev,noexec ${device} ${mountPoint}`);
      const at = await event;
      arrived = null;
      // Negative: the event reached us before the mount command had even exited.
      fromReturn.push(at - returnedMs);
      fromStart.push(at - startMs);
      execFileSync('umount', [mountPoint]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await watch.stop();
  }
  return { fromReturn, fromStart };
}

/**
 * CPU seconds (user + system) of `pid` and every process below it, and each one's RSS and PSS in
 * MiB (PSS shares the pages that processes share, such as the node binary, between them).
 */
function processTree(pid: number): { cpuSeconds: number; rss: Memory[] } {
  const tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  let cpuSeconds = 0;
  const rss: Memory[] = [];
  const visit = (p: number): void => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    cpuSeconds += (Number(fields[11]) + Number(fields[12])) / tick;
    const status = readFileSync(`/proc/${p}/status`, 'utf8');
    const name = /^Name:\s+(.+)$/m.exec(status)?.[1] ?? String(p);
    const rollup = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1] ?? Number.NaN);
    const ussMib = (kib('Private_Clean') + kib('Private_Dirty')) / 1024;
    rss.push({ name, mib: Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024, pssMib: kib('Pss') / 1024, ussMib });
    for (const task of readdirSync(`/proc/${p}/task`)) {
      const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
      for (const child of children === '' ? [] : children.split(' ')) visit(Number(child));
    }
  };
  visit(pid);
  return { cpuSeconds, rss };
}

/**
 * The idle daemon as a device runs it: with a config (the boot check, the device facts read ahead),
 * its state in a folder of the bench's own, and the USB monitor child.
 */
async function idleDaemon(seconds: number, root: string): Promise<{ cpuSeconds: number; rss: Memory[] }> {
  const config = `${root}/../idle-config.yaml`;
  mkdirSync(`${root}/../idle-state`, { recursive: true });
  writeFileSync(config, ['media:', `  roots: [${root}]`, 'state:', `  dir: ${root}/../idle-state`, 'signature:', '  required: false', ''].join('\n'));
  const daemon = spawn(process.execPath, [BIN, 'daemon', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  daemon.stderr.on('data', (chunk: Buffer) => { log += chunk.toString(); });
  const exited = new Promise((resolve) => daemon.on('exit', resolve));
  try {
    const start = Date.now();
    while (!log.includes('"USB monitor') && Date.now() - start < 10000) await new Promise((resolve) => setTimeout(resolve, 50));
    // Start-up (loading modules, the first reading) is not idle time.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = processTree(daemon.pid ?? 0);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const after = processTree(daemon.pid ?? 0);
    return { cpuSeconds: after.cpuSeconds - before.cpuSeconds, rss: after.rss };
  } finally {
    daemon.kill('SIGTERM');
    await exited;
  }
}

async function bench(): Promise<void> {
  const { values } = parseArgs({ options: { mounts: { type: 'string', default: '50' }, 'idle-seconds': { type: 'string', default: '60' }, 'json-out': { type: 'string' } } });
  if (process.getuid?.() !== 0) throw new Error('bench:media needs root (loop devices, mounts)');
  const sticks = new LoopSticks();
  try {
    const count = Number(values.mounts);
    say(`mounting an ext4 image ${count} times…`);
    const latency = await mountLatency(sticks, count);
    const idleSeconds = Number(values['idle-seconds']);
    say(`watching the idle daemon for ${idleSeconds} s…`);
    const idle = await idleDaemon(idleSeconds, `${sticks.dir}/media`);
    const ms = (v: number): string => v.toFixed(1);
    const p99 = percentile(latency.fromReturn, 99);
    const pss = idle.rss.reduce((sum, r) => sum + r.pssMib, 0);
    const uss = idle.rss.reduce((sum, r) => sum + r.ussMib, 0);
    const rows = [
      `| mount → event (from \`mount\` returning), ${count} mounts | p50 ${ms(percentile(latency.fromReturn, 50))} ms, p99 ${ms(p99)} ms, max ${ms(Math.max(...latency.fromReturn))} ms | p99 < ${LATENCY_TARGET_MS} ms | ${p99 < LATENCY_TARGET_MS ? 'met' : 'MISSED'} |`,
      `| mount → event (from \`mount\` starting) | p50 ${ms(percentile(latency.fromStart, 50))} ms, p99 ${ms(percentile(latency.fromStart, 99))} ms | | |`,
      `| idle daemon CPU over ${idleSeconds} s (with children) | ${idle.cpuSeconds.toFixed(2)} s | < ${IDLE_CPU_TARGET_S} s | ${idle.cpuSeconds < IDLE_CPU_TARGET_S ? 'met' : 'MISSED'} |`,
      `| idle memory of each process, RSS / PSS / USS | ${idle.rss.map((r) => `${r.name} ${r.mib.toFixed(1)} / ${r.pssMib.toFixed(1)} / ${r.ussMib.toFixed(1)} MiB`).join(', ')} | | |`,
      `| idle daemon and children, PSS in all (USS in all) | ${pss.toFixed(1)} MiB (${uss.toFixed(1)} MiB) | <= ${IDLE_PSS_TARGET_MIB} MiB | ${pss <= IDLE_PSS_TARGET_MIB ? 'met' : 'MISSED'} |`,
    ];
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    rows.push(`| | ${BIN}; load average ${load} at the end | | |`);
    process.stdout.write(['| measure | result | target | |', '|---|---|---|---|', ...rows].join('\n') + '\n');
    if (values['json-out']) writeFileSync(values['json-out'], JSON.stringify({ latency, idle }, null, 2));
  } finally {
    sticks.cleanup();
  }
}

await bench();
