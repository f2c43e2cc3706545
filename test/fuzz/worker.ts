// The fuzzing loop, in a worker thread so that the runner can stop it when an input hangs or grows
// memory: run the seeds, then mutate corpus entries, run each child under the oracle, and keep the
// children that reach new coverage. Times each input for the time oracle. Reports corpus additions,
// findings and progress to the runner.

import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { BlockCoverage } from './coverage.js';
import { mutate, Random } from './mutate.js';
import { Finding } from './oracle.js';
import { SharedInput } from './shared-input.js';
import { loadTarget } from './targets.js';
import { TimeOracle, type TimeOracleOptions } from './time-oracle.js';

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
  timeOracle: TimeOracleOptions;
  /** Use the target's structure-aware mutations. */
  structured: boolean;
}

type Worst = TimeOracle['worst'];

export type WorkerMessage =
  | { type: 'corpus'; input: Uint8Array }
  | { type: 'finding'; kind: Finding['kind']; message: string; input: Uint8Array; exec: number }
  | { type: 'progress'; exec: number; blocks: number; corpus: number; outcomes: Record<string, number>; worst: Worst }
  | { type: 'done'; exec: number; blocks: number; corpus: number; outcomes: Record<string, number>; worst: Worst };

const REPAIR_ONE_IN = 2;
/** One child in this many comes from a structure-aware mutation (when the target has some). */
const STRUCTURED_ONE_IN = 4;
/** Extra runs of an input the time oracle suspects, before it is a finding. */
const CONFIRM_RUNS = 2;
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
const timing = new TimeOracle(data.timeOracle);
const structured = data.structured ? (target.structured ?? []) : [];

const report = (finding: Finding, input: Buffer, exec: number): void => {
  outcomes[`finding: ${finding.kind}`] = (outcomes[`finding: ${finding.kind}`] ?? 0) + 1;
  // A message may quote a crafted name of megabytes: its start says what happened.
  const message = finding.message.length > 1000 ? `${finding.message.slice(0, 1000)}… (${finding.message.length} characters)` : finding.message;
  port?.postMessage({ type: 'finding', kind: finding.kind, message, input, exec } satisfies WorkerMessage);
};

/** Runs the input once, timed: its outcome label (null after a finding) and how long it took. */
async function runTimed(input: Buffer, exec: number): Promise<{ label: string | null; ms: number }> {
  const start = performance.now();
  try {
    return { label: await target.run(input, exec), ms: performance.now() - start };
  } catch (err) {
    report(err instanceof Finding ? err : new Finding('crash', `the target threw outside the oracle: ${String(err)}`), input, exec);
    return { label: null, ms: performance.now() - start };
  }
}

/** Runs one input under the oracles; returns how many coverage features it reached first. */
async function execute(input: Buffer, exec: number): Promise<number> {
  shared.begin(exec, input);
  try {
    const { label, ms } = await runTimed(input, exec);
    const fresh = coverage.collect();
    if (label === null) return fresh;
    outcomes[label] = (outcomes[label] ?? 0) + 1;
    if (target.untimed?.(exec, input) === true) return fresh;
    // A suspect runs twice more and counts its fastest run: a GC pause or a burst of other work on
    // the machine does not repeat three times, a quadratic path does.
    if (timing.suspect(ms, input.length)) {
      let least = ms;
      for (let i = 0; i < CONFIRM_RUNS && timing.suspect(least, input.length); i += 1) least = Math.min(least, (await runTimed(input, exec)).ms);
      coverage.collect();
      if (timing.suspect(least, input.length)) report(new Finding('slow', `${label}: ${timing.describe(least, input.length)}`), input, exec);
      timing.observe(least, input.length);
    } else timing.observe(ms, input.length);
    return fresh;
  } finally {
    shared.end();
  }
}

/** A structure-aware child, or null when the mutation does not apply (or fails on an odd parent). */
function shape(mutator: (input: Buffer, r: typeof random) => Buffer | null, parent: Buffer): Buffer | null {
  try {
    return mutator(parent, random);
  } catch {
    return null; // a parent nested too deep for the mutator's own JSON.stringify, say
  }
}

coverage.start();
let exec = data.firstExec;
// The seeds run first, and are all kept whatever their coverage: they are the real formats.
for (const seed of corpus.slice()) {
  if (exec >= data.runs) break;
  await execute(seed, exec);
  exec += 1;
}
let lastProgress = Date.now();
while (exec < data.runs && Date.now() < data.deadline) {
  const parent = random.pick(corpus);
  const shaped = structured.length > 0 && random.chance(STRUCTURED_ONE_IN) ? shape(random.pick(structured), parent) : null;
  let child = shaped !== null && shaped.length <= target.maxLength ? shaped : mutate(parent, { random, corpus, dictionary: target.dictionary, maxLength: target.maxLength });
  if (shaped === null && target.repair && random.chance(REPAIR_ONE_IN)) child = target.repair(child) ?? child;
  if ((await execute(child, exec)) > 0) {
    corpus.push(child);
    port.postMessage({ type: 'corpus', input: child } satisfies WorkerMessage);
  }
  exec += 1;
  if (Date.now() - lastProgress > PROGRESS_MS) {
    lastProgress = Date.now();
    port.postMessage({ type: 'progress', exec, blocks: coverage.blocks, corpus: corpus.length, outcomes, worst: timing.worst } satisfies WorkerMessage);
  }
}
coverage.stop();
port.postMessage({ type: 'done', exec, blocks: coverage.blocks, corpus: corpus.length, outcomes, worst: timing.worst } satisfies WorkerMessage);
