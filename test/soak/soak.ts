// `npm run soak -- --cycles N`: issue 8's soak. In the A/B simulator with the real client, N cycles
// of stick → daemon install → reboot → boot check → commit or rollback, alternating a good image and
// one whose health check fails. The daemon is started at every boot, as systemd would; its RSS
// (VmRSS) and open descriptors are sampled at the same point of every cycle (right after it
// installed). Prints a table and a summary; exits 1 when a cycle ends other than expected or the
// daemon's RSS or descriptors grow beyond the bounds. Needs root; not part of `npm test`.

import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mender, needsAbDevice, withAbDevice, type AbDevice, type BootProcess } from '../support/simulator/ab-device.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';
import { SIM_MEDIA_ROOT, SimSticks, waitForLog } from '../support/simulator/sim-stick.js';

const TYPE = 'soak-dev';
/** A file only the bad images hold; the health check fails where it exists. */
const BAD_MARK = '/etc/soak-bad-image';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '200' },
    // Bounds on growth from the first cycles to the last (medians of a few, so one sample's noise does not decide).
    'max-rss-growth-mib': { type: 'string', default: '8' },
    'max-fd-growth': { type: 'string', default: '2' },
  },
});
const CYCLES = Number(values.cycles);
const MAX_RSS_GROWTH_KIB = Number(values['max-rss-growth-mib']) * 1024;
const MAX_FD_GROWTH = Number(values['max-fd-growth']);

interface Sample {
  cycle: number;
  artifact: string;
  expected: 'Committed' | 'RolledBack';
  outcome: string;
  partition: string;
  running: string;
  rssKiB: number;
  fds: number;
  seconds: number;
}

const out = (line: string): boolean => process.stdout.write(`${line}\n`);

/** The host pid of the daemon: the node process below the nsenter that spawn() started. */
function daemonPid(boot: BootProcess): number {
  const queue = [boot.pid];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (pid !== boot.pid && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node') return pid;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      queue.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    }
  }
  throw new Error(`no node process below pid ${boot.pid}`);
}

function memoryOf(pid: number): { rssKiB: number; fds: number } {
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { rssKiB: Number(rss?.[1] ?? Number.NaN), fds: readdirSync(`/proc/${pid}/fd`).length };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

class Soak {
  private daemon: BootProcess | null = null;
  private readonly sticks = new SimSticks();

  constructor(private readonly device: AbDevice, private readonly dir: string, private readonly config: string) {}

  /** A boot as systemd runs it: the daemon starts, runs the boot check, then serves sticks. */
  private async startDaemon(): Promise<BootProcess> {
    const daemon = this.device.spawn('node', [BIN, 'daemon', '-c', this.config, '--usb-module', 'usb-detection-not-installed']);
    this.daemon = daemon;
    await waitForLog(daemon, 'boot check: ', 120_000);
    await waitForLog(daemon, '"following media"');
    return daemon;
  }

  private async stopDaemon(): Promise<void> {
    if (this.daemon === null) return;
    await this.daemon.kill('SIGTERM');
    const result = await this.daemon.exited;
    this.daemon = null;
    if (result.code !== 0) throw new Error(`the daemon exited ${String(result.code)}`);
  }

  /** Ends the boot (the daemon with it, as a reboot does) and boots again; the stick's loop goes. */
  private async reboot(): Promise<void> {
    await this.stopDaemon();
    await this.device.reboot();
    this.sticks.unplugAll();
  }

  async cycle(cycle: number): Promise<Sample> {
    const bad = cycle % 2 === 1;
    const artifact = `release-${cycle + 2}.0`;
    const stick = join(this.dir, `stick-${cycle}`);
    await mkdir(stick);
    await writeRootfsArtifact({ output: join(stick, `${artifact}.mender`), name: artifact, deviceTypes: [TYPE], signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub'), ...(bad ? { files: { [BAD_MARK]: 'bad\n' } } : {}) });
    const start = process.hrtime.bigint();

    const daemon = this.daemon ?? (await this.startDaemon());
    const rebooting = this.device.rebootRequested();
    await this.sticks.plug(this.device, stick, `s${cycle}`);
    await rebooting;
    await waitForLog(daemon, `"installed","session"`);
    const sample = memoryOf(daemonPid(daemon));
    await this.reboot();
    // The trial boot: the daemon's boot check commits, or rolls back and asks for the reboot back.
    const trial = await this.startDaemon();
    if (bad) {
      await waitForLog(trial, 'rebooting into the old image');
      await this.reboot();
      await this.startDaemon();
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const status = await this.device.run('node', [BIN, 'status', '--json', '-c', this.config]);
    const journal = (JSON.parse(status.stdout) as { journal: { state: string; artifactName: string } | null }).journal;
    const env = await this.device.env();
    const running = (await mender(this.device, ['show-artifact'])).stdout.trim();
    const outcome = journal?.artifactName === artifact ? `${journal.state}${env.upgrade_available === '0' ? '' : ' (upgrade_available=1)'}` : `journal of ${journal?.artifactName ?? 'none'}`;
    await rm(stick, { recursive: true, force: true });
    await rm(`${stick}.img`, { force: true });
    return { cycle, artifact, expected: bad ? 'RolledBack' : 'Committed', outcome, partition: this.device.activePartition(), running, rssKiB: sample.rssKiB, fds: sample.fds, seconds };
  }

  async close(): Promise<void> {
    await this.stopDaemon();
  }
}

async function main(): Promise<number> {
  const skip = needsAbDevice();
  if (skip !== false) {
    out(`soak: cannot run: ${skip}`);
    return 1;
  }
  const dir = await mkdtemp(join(tmpdir(), 'usb-updater-soak-'));
  const config = join(dir, 'config.yaml');
  writeSimConfig(config, { mediaRoot: SIM_MEDIA_ROOT, health: ['deadline: 1m', 'checks:', '  - name: image', '    type: command', `    command: [/usr/bin/test, "!", -e, ${BAD_MARK}]`, '    retries: 0'] });
  const samples: Sample[] = [];
  let lastGood = 'release-1.0';
  try {
    await withAbDevice({ deviceType: TYPE, artifactName: lastGood, bootlimit: 3, verifyKeyPem: keyPem('rsa3072.pub') }, async (device) => {
      const soak = new Soak(device, dir, config);
      try {
        out('| cycle | artifact | expected | outcome | partition | running | daemon RSS KiB | fds | s |');
        out('|---|---|---|---|---|---|---|---|---|');
        for (let cycle = 0; cycle < CYCLES; cycle += 1) {
          const s = await soak.cycle(cycle);
          if (s.expected === 'Committed') lastGood = s.artifact;
          const ok = s.outcome === s.expected && s.running === lastGood;
          out(`| ${s.cycle} | ${s.artifact} | ${s.expected} | ${s.outcome}${ok ? '' : ' **MISMATCH**'} | ${s.partition} | ${s.running} | ${s.rssKiB} | ${s.fds} | ${s.seconds.toFixed(1)} |`);
          samples.push(s);
          if (!ok) break;
        }
      } finally {
        await soak.close();
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return summarize(samples, lastGood);
}

function summarize(samples: readonly Sample[], lastGood: string): number {
  const mismatches = samples.filter((s) => s.outcome !== s.expected).length + (samples.length < CYCLES ? 1 : 0);
  const window = Math.min(5, Math.max(1, Math.floor(samples.length / 4)));
  const head = samples.slice(0, window);
  const tail = samples.slice(-window);
  const rssGrowth = median(tail.map((s) => s.rssKiB)) - median(head.map((s) => s.rssKiB));
  const fdGrowth = median(tail.map((s) => s.fds)) - median(head.map((s) => s.fds));
  const perCycle = median(samples.map((s) => s.seconds));
  out('');
  out(`cycles: ${samples.length} of ${CYCLES}; mismatches: ${mismatches}; running at the end: ${samples.at(-1)?.running ?? '-'} (expected ${lastGood})`);
  out(`daemon RSS after install: first ${samples[0]?.rssKiB ?? '-'} KiB, last ${samples.at(-1)?.rssKiB ?? '-'} KiB, min ${Math.min(...samples.map((s) => s.rssKiB))}, max ${Math.max(...samples.map((s) => s.rssKiB))}; growth (median of last ${window} − first ${window}) ${rssGrowth} KiB (bound ${MAX_RSS_GROWTH_KIB})`);
  out(`daemon fds after install: first ${samples[0]?.fds ?? '-'}, last ${samples.at(-1)?.fds ?? '-'}; growth ${fdGrowth} (bound ${MAX_FD_GROWTH})`);
  out(`time per cycle (median, without making the artifact): ${perCycle.toFixed(1)} s`);
  const failed = mismatches > 0 || rssGrowth > MAX_RSS_GROWTH_KIB || fdGrowth > MAX_FD_GROWTH;
  out(failed ? 'soak: FAILED' : 'soak: passed');
  return failed ? 1 : 0;
}

process.exitCode = await main();
