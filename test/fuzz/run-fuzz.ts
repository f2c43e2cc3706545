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
}

export interface FindingRecord {
  kind: FindingKind;
  message: string;
  exec: number;
  input: Buffer;
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
}

const WATCH_MS = 100;
const MAX_RESTARTS = 25;
const MAX_SAVED = 10;

/** Findings that differ only in numbers (offsets, sizes) are the same finding. */
const signatureOf = (kind: string, message: string): string => `${kind}:${message.replace(/\d+/g, '#')}`;

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
  const signatures = new Set<string>();
  const outcomes: Record<string, number> = {};
  let blocks = 0;

  const record = (kind: FindingKind, message: string, input: Buffer, exec: number): void => {
    const signature = signatureOf(kind, message);
    if (signatures.has(signature)) return;
    signatures.add(signature);
    let file: string | null = null;
    if (options.saveDir !== null && findings.length < MAX_SAVED) {
      mkdirSync(options.saveDir, { recursive: true });
      file = `${options.saveDir}${kind}-${createHash('sha256').update(input).digest('hex').slice(0, 16)}`;
      writeFileSync(file, input);
    }
    findings.push({ kind, message, exec, input, file });
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
      };
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: input,
        resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb },
      });
      let settled = false;
      let lastExec = -1;
      let since = Date.now();
      const finish = (end: WorkerEnd): void => {
        if (settled) return;
        settled = true;
        clearInterval(watch);
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
            options.log(`${target.name}: ${message.exec} executions, ${message.blocks} blocks, corpus ${message.corpus}`);
            break;
          case 'done':
            blocks = message.blocks;
            for (const [label, count] of Object.entries(message.outcomes)) outcomes[label] = (outcomes[label] ?? 0) + count;
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
    blocks, corpus: corpus.length, outcomes, findings,
  };
}
