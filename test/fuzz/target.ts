// What the fuzz runner needs from a target: seeds from the real corpus, format tokens, a size bound,
// which scripts count for coverage, optional repair and structure-aware steps, and one execution
// under the oracle.
// A target is a module whose default export is a FuzzTarget, so the runner's worker can load it.

import type { Random } from './mutate.js';

export interface FuzzTarget {
  /** Names the target in output and its regression folder. */
  name: string;
  seeds(): Buffer[];
  dictionary: readonly Buffer[];
  maxLength: number;
  /** Scripts (file URLs) whose blocks count as coverage: the code under test and its parsers. */
  covers(url: string): boolean;
  /**
   * A structure-aware fix-up applied to some mutated inputs (e.g. recomputing checksums, so that
   * mutations get past them); returns null when it does not apply. What it returns is what runs.
   */
  repair?(input: Buffer): Buffer | null;
  /**
   * Structure-aware mutations (see structure.ts), tried on one child in STRUCTURED_ONE_IN instead of
   * byte mutations; each returns null when it does not apply to its parent.
   */
  structured?: ReadonlyArray<(input: Buffer, random: Random) => Buffer | null>;
  /** Executions the time oracle does not judge (ones that do extra work, like a byte-at-a-time read). */
  untimed?(exec: number, input: Buffer): boolean;
  /** Runs one input; resolves with an outcome label, throws a Finding when the oracle fails. */
  run(input: Buffer, exec: number): Promise<string>;
}
