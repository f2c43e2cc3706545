// The fuzz runner: runs a target's loop in a worker thread and watches it from this thread. An input
// that runs longer than the time limit (an endless loop, or a promise that never settles) or pushes
// memory past the bound is a finding, like a crash; the worker is then replaced and fuzzing goes on
// from the corpus gathered so far. Distinct findings are written as regression inputs.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { FindingKind } from './oracle.js';
import { SharedInput } from './shared-input.js';
import { loadTarget } from './targets.js';
import { DEFAULT_TIME_ORACLE, type TimeOracleOptions } from './time-oracle.js';
import type { WorkerInput, WorkerMessage } from './worker.js';

export interface FuzzOptions {
  /** The target's module (see targets.ts). */
  targetModule: string;
  /** Stop after this long (the seeds always run). */
  seconds: number;
  /** Stop after this many executions (with a fixed seed, the run is then reproducible). */
  runs: number;
  seed: number;
  /** One input may run this long before it counts as a hang. */
  timeoutMs: number;
  /** The process's resident memory may not pass this while an input runs. */
  maxRssMb: number;
  /** The worker's JavaScript heap limit; running out is a memory finding. */
  maxHeapMb: number;
  /** Where new findings are written (test/fuzz/regressions/<target>/), or null to keep them in memory. */
  saveDir: string | null;
  /** Progress lines. */
  log: (line: string) => void;
  /** The time oracle's bounds (default DEFAULT_TIME_ORACLE; TIME_ORACLE_OFF turns it off). */
  timeOracle?: TimeOracleOptions;
  /** Whether the target's structure-aware mutations are used (default true). */
  structured?: boolean;
}

/** The costliest input the time oracle saw: µs per KB, the run's median then, its time and size. */
export interface WorstCost {
  costPerKb: number;
  median: number;
  ms: number;
  bytes: number;
}

export interface FindingRecord {
  kind: FindingKind;
  message: string;
  exec: number;
  input: Buffer;
  /** Seconds from the start of the run to the finding. */
  seconds: number;
  /** The file it was written to, when saving. */
  file: string | null;
}

export interface FuzzSummary {
  target: string;
  seed: number;
  executions: number;
  seconds: number;
  blocks: number;
  corpus: number;
  outcomes: Record<string, number>;
  findings: FindingRecord[];
  worst: WorstCost;
}

const WATCH_MS = 100;
const MAX_RESTARTS = 25;
const MAX_SAVED = 10;
/**
 * A hang or a slow input says nothing of where the time went, so one signature may hide several
 * causes (a backtracking pattern, a quadratic name): up to this many inputs are kept per signature.
 */
const REPEATS: Partial<Record<FindingKind, number>> = { hang: 4, slow: 4 };

/**
 * Findings that differ only in numbers (offsets, sizes), or only after their first 160 characters
 * (a message quoting a long crafted name or pattern), are the same finding.
 */
const signatureOf = (kind: string, message: string): string => `${kind}:${message.slice(0, 160).replace(/\d+/g, '#')}`;

interface WorkerEnd {
  exec: number;
  blocks: number;
  done: boolean;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const target = await loadTarget(options.targetModule);
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const corpus: Buffer[] = target.seeds();
  const findings: FindingRecord[] = [];
  const signatures = new Map<string, number>();
  const outcomes: Record<string, number> = {};
  let blocks = 0;
  let worst: WorstCost = { costPerKb: 0, median: 0, ms: 0, bytes: 0 };
  const noteWorst = (w: WorstCost): void => {
    if (w.costPerKb > worst.costPerKb) worst = w;
  };

  const record = (kind: FindingKind, message: string, input: Buffer, exec: number): void => {
    const signature = signatureOf(kind, message);
    const seen = signatures.get(signature) ?? 0;
    if (seen >= (REPEATS[kind] ?? 1)) return;
    signatures.set(signature, seen + 1);
    let file: string | null = null;
    if (options.saveDir !== null && findings.length < MAX_SAVED) {
      mkdirSync(options.saveDir, { recursive: true });
      file = `${options.saveDir}${kind}-${createHash('sha256').update(input).digest('hex').slice(0, 16)}`;
      writeFileSync(file, input);
    }
    findings.push({ kind, message, exec, input, seconds: (Date.now() - started) / 1000, file });
    options.log(`${target.name}: FINDING (${kind}) at execution ${exec}: ${message}${file ? ` → ${file}` : ''}`);
    // An input that fails every time must not be replayed as a seed after a restart.
    const index = corpus.findIndex((c) => c.equals(input));
    if (index >= 0) corpus.splice(index, 1);
  };

  const runWorker = (firstExec: number): Promise<WorkerEnd> =>
    new Promise((resolve) => {
      const shared = new SharedInput(target.maxLength);
      const input: WorkerInput = {
        targetModule: options.targetModule, seed: options.seed, firstExec, runs: options.runs, deadline,
        corpus: corpus.map((c) => new Uint8Array(c)), shared: shared.buffer,
        timeOracle: options.timeOracle ?? DEFAULT_TIME_ORACLE, structured: options.structured ?? true,
      };
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: input,
        // The main thread's stack (about 1 MB), not a worker's 4 MB: a recursion found here is one
        // that overflows in the CLI and the daemon, at the depth it would there.
        resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb, stackSizeMb: 1 },
      });
      let settled = false;
      // The worker's outcome counts as last reported: a worker that is stopped keeps what it counted.
      let counted: Record<string, number> = {};
      let lastExec = -1;
      let since = Date.now();
      const finish = (end: WorkerEnd): void => {
        if (settled) return;
        settled = true;
        clearInterval(watch);
        for (const [label, count] of Object.entries(counted)) outcomes[label] = (outcomes[label] ?? 0) + count;
        resolve(end);
      };
      const stopWith = (kind: FindingKind, message: string): void => {
        record(kind, message, shared.input(), shared.exec);
        finish({ exec: shared.exec + 1, blocks, done: false });
        void worker.terminate();
      };
      const watch = setInterval(() => {
        if (!shared.running) return;
        if (shared.exec !== lastExec) {
          lastExec = shared.exec;
          since = Date.now();
        }
        const rssMb = process.memoryUsage.rss() / 2 ** 20;
        if (rssMb > options.maxRssMb) stopWith('memory', `resident memory reached ${Math.round(rssMb)} MiB (bound ${options.maxRssMb} MiB)`);
        else if (Date.now() - since > options.timeoutMs) stopWith('hang', `an input ran longer than ${options.timeoutMs} ms`);
      }, WATCH_MS);
      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'corpus':
            corpus.push(Buffer.from(message.input));
            break;
          case 'finding':
            record(message.kind, message.message, Buffer.from(message.input), message.exec);
            break;
          case 'progress':
            blocks = message.blocks;
            noteWorst(message.worst);
            counted = message.outcomes;
            options.log(`${target.name}: ${message.exec} executions, ${message.blocks} blocks, corpus ${message.corpus}`);
            break;
          case 'done':
            blocks = message.blocks;
            noteWorst(message.worst);
            counted = message.outcomes;
            finish({ exec: message.exec, blocks: message.blocks, done: true });
            break;
        }
      });
      worker.on('error', (err: Error & { code?: string }) => {
        // Out of heap, or an exception no promise handled (a stream failing after its read ended).
        if (settled) return;
        const kind: FindingKind = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash';
        record(kind, `${shared.running ? '' : 'after its input settled: '}${err.name}: ${err.message}`, shared.input(), shared.exec);
        finish({ exec: shared.exec + 1, blocks, done: false });
      });
      worker.on('exit', () => {
        // The event loop emptied while an input was pending: a promise that never settles.
        if (!settled && shared.running) record('hang', 'the input never settled (its promise was left pending with nothing to wake it)', shared.input(), shared.exec);
        finish({ exec: shared.exec + 1, blocks, done: false });
      });
    });

  let firstExec = 0;
  for (let restarts = 0; ; restarts += 1) {
    const end = await runWorker(firstExec);
    firstExec = end.exec;
    if (end.done || firstExec >= options.runs || Date.now() >= deadline || restarts >= MAX_RESTARTS) break;
    options.log(`${target.name}: restarting the worker at execution ${firstExec}`);
  }
  return {
    target: target.name, seed: options.seed, executions: firstExec, seconds: (Date.now() - started) / 1000,
    blocks, corpus: corpus.length, outcomes, findings, worst,
  };
}
