// Coverage feedback for the fuzzer, from V8 itself: precise block coverage with execution counts,
// taken (and reset) after each input through an inspector session on the current thread. An input
// is interesting when it reaches a block, or a block's hit-count bucket, that no input reached before.
// Jazzer.js could not be used here (see test/README.md, "Fuzzing"); this needs no native code.

import { Session } from 'node:inspector';

interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  url: string;
  functions: Array<{ ranges: CoverageRange[] }>;
}

/** Hit counts grouped as AFL does: a loop running 5 or 6 times is the same behaviour, 1 or 100 is not. */
function bucket(count: number): number {
  if (count <= 3) return count;
  if (count < 8) return 4;
  if (count < 16) return 5;
  if (count < 32) return 6;
  if (count < 128) return 7;
  return 8;
}

export class BlockCoverage {
  readonly #session = new Session();
  readonly #include: (url: string) => boolean;
  /** Block (script, start, end) → dense id; ids × 16 + bucket are the features. */
  readonly #blockIds = new Map<string, number>();
  readonly #seenFeatures = new Set<number>();
  readonly #coveredBlocks = new Set<number>();

  constructor(include: (url: string) => boolean) {
    this.#include = include;
  }

  /** Posts a command; a session on the current thread answers before `post` returns. */
  #post<T>(method: string, params?: object): T {
    let answer: { err: Error | null; result?: T } | undefined;
    this.#session.post(method, params ?? {}, (err: Error | null, result?: object) => {
      answer = { err, ...(result === undefined ? {} : { result: result as T }) };
    });
    if (answer === undefined) throw new Error(`inspector: ${method} did not answer synchronously`);
    if (answer.err) throw answer.err;
    return answer.result as T;
  }

  start(): void {
    this.#session.connect();
    this.#post('Profiler.enable');
    // callCount with detailed: per-block counts, reset at every take.
    this.#post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  stop(): void {
    this.#post('Profiler.stopPreciseCoverage');
    this.#session.disconnect();
  }

  /** Blocks reached by at least one input so far. */
  get blocks(): number {
    return this.#coveredBlocks.size;
  }

  /** Takes the counts since the last call; returns how many features no earlier input had. */
  collect(): number {
    const { result } = this.#post<{ result: ScriptCoverage[] }>('Profiler.takePreciseCoverage');
    let fresh = 0;
    for (const script of result) {
      if (!this.#include(script.url)) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count === 0) continue;
          const key = `${script.url}:${range.startOffset}:${range.endOffset}`;
          let id = this.#blockIds.get(key);
          if (id === undefined) {
            id = this.#blockIds.size;
            this.#blockIds.set(key, id);
          }
          this.#coveredBlocks.add(id);
          const feature = id * 16 + bucket(range.count);
          if (!this.#seenFeatures.has(feature)) {
            this.#seenFeatures.add(feature);
            fresh += 1;
          }
        }
      }
    }
    return fresh;
  }
}
