// The fuzzing loop, in a worker thread so that the runner can stop it when an input hangs or grows
// memory: run the seeds, then mutate corpus entries, run each child under the oracle, and keep the
// children that reach new coverage. Reports corpus additions, findings and progress to the runner.

import { parentPort, workerData } from 'node:worker_threads';
import { BlockCoverage } from './coverage.js';
import { mutate, Random } from './mutate.js';
import { Finding } from './oracle.js';
import { SharedInput } from './shared-input.js';
import { loadTarget } from './targets.js';

export interface WorkerInput {
  /** The target's module (its default export is the FuzzTarget). */
  targetModule: string;
  seed: number;
  /** Index of the first execution (after a restart, where the previous worker stopped). */
  firstExec: number;
  /** Stop before this execution index. */
  runs: number;
  /** Stop at this time (ms since the epoch). */
  deadline: number;
  corpus: Uint8Array[];
  shared: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'corpus'; input: Uint8Array }
  | { type: 'finding'; kind: Finding['kind']; message: string; input: Uint8Array; exec: number }
  | { type: 'progress'; exec: number; blocks: number; corpus: number }
  | { type: 'done'; exec: number; blocks: number; corpus: number; outcomes: Record<string, number> };

const REPAIR_ONE_IN = 2;
const PROGRESS_MS = 2000;

const data = workerData as WorkerInput;
const port = parentPort;
if (port === null) throw new Error('worker.ts runs as a worker thread of run-fuzz.ts');
const target = await loadTarget(data.targetModule);
const shared = new SharedInput(data.shared);
const random = new Random(data.seed + data.firstExec);
const coverage = new BlockCoverage((url) => target.covers(url));
const corpus: Buffer[] = data.corpus.map((bytes) => Buffer.from(bytes));
const outcomes: Record<string, number> = {};

async function execute(input: Buffer, exec: number): Promise<void> {
  shared.begin(exec, input);
  try {
    const label = await target.run(input, exec);
    outcomes[label] = (outcomes[label] ?? 0) + 1;
  } catch (err) {
    const finding = err instanceof Finding ? err : new Finding('crash', `the target threw outside the oracle: ${String(err)}`);
    outcomes[`finding: ${finding.kind}`] = (outcomes[`finding: ${finding.kind}`] ?? 0) + 1;
    port?.postMessage({ type: 'finding', kind: finding.kind, message: finding.message, input, exec } satisfies WorkerMessage);
  } finally {
    shared.end();
  }
}

coverage.start();
let exec = data.firstExec;
// The seeds run first, and are all kept whatever their coverage: they are the real formats.
for (const seed of corpus.slice()) {
  if (exec >= data.runs) break;
  await execute(seed, exec);
  coverage.collect();
  exec += 1;
}
let lastProgress = Date.now();
while (exec < data.runs && Date.now() < data.deadline) {
  let child = mutate(random.pick(corpus), { random, corpus, dictionary: target.dictionary, maxLength: target.maxLength });
  if (target.repair && random.chance(REPAIR_ONE_IN)) child = target.repair(child) ?? child;
  await execute(child, exec);
  if (coverage.collect() > 0) {
    corpus.push(child);
    port.postMessage({ type: 'corpus', input: child } satisfies WorkerMessage);
  }
  exec += 1;
  if (Date.now() - lastProgress > PROGRESS_MS) {
    lastProgress = Date.now();
    port.postMessage({ type: 'progress', exec, blocks: coverage.blocks, corpus: corpus.length } satisfies WorkerMessage);
  }
}
coverage.stop();
port.postMessage({ type: 'done', exec, blocks: coverage.blocks, corpus: corpus.length, outcomes } satisfies WorkerMessage);
