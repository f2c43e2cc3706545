// The time oracle: an input whose cost per KB is far above the run's median is a finding (`slow`),
// so a quadratic or exponential path shows up long before it hangs. Judged per KB of the input so
// that a big input is not slow merely for being big; a floor on the absolute time keeps a GC pause
// on a tiny input from counting. The worker confirms a suspect by running it twice more.

export interface TimeOracleOptions {
  /** A finding when the cost per KB is more than this many times the median; 0 turns the oracle off. */
  factor: number;
  /** …and the input took at least this long (ms). */
  floorMs: number;
}

export const DEFAULT_TIME_ORACLE: TimeOracleOptions = { factor: 50, floorMs: 500 };
export const TIME_ORACLE_OFF: TimeOracleOptions = { factor: 0, floorMs: 0 };

/** Samples before the median is trusted, and how many recent ones it is taken over. */
const WARM_UP = 50;
const WINDOW = 501;

/** µs per KB of input, an input under 1 KB counting as 1 KB. */
export const costPerKb = (ms: number, bytes: number): number => (ms * 1000) / Math.max(1, bytes / 1024);

export class TimeOracle {
  readonly #options: TimeOracleOptions;
  readonly #window: number[] = [];
  #next = 0;
  /** The highest cost per KB seen after the warm-up (µs/KB), with the median at that time. */
  worst = { costPerKb: 0, median: 0, ms: 0, bytes: 0 };

  constructor(options: TimeOracleOptions) {
    this.#options = options;
  }

  get enabled(): boolean {
    return this.#options.factor > 0;
  }

  median(): number {
    if (this.#window.length === 0) return 0;
    const sorted = [...this.#window].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  }

  /** Whether an input that took `ms` on `bytes` bytes is suspect (before it is added to the samples). */
  suspect(ms: number, bytes: number): boolean {
    if (!this.enabled || this.#window.length < WARM_UP || ms < this.#options.floorMs) return false;
    return costPerKb(ms, bytes) > this.#options.factor * this.median();
  }

  /** Adds a sample; returns its cost per KB. */
  observe(ms: number, bytes: number): number {
    const cost = costPerKb(ms, bytes);
    // Counted once the median is trusted: the first inputs run before the JIT has warmed up.
    if (this.#window.length >= WARM_UP && cost > this.worst.costPerKb) this.worst = { costPerKb: cost, median: this.median(), ms, bytes };
    if (this.#window.length < WINDOW) this.#window.push(cost);
    else this.#window[this.#next] = cost;
    this.#next = (this.#next + 1) % WINDOW;
    return cost;
  }

  /** The finding's message for a confirmed slow input. */
  describe(ms: number, bytes: number): string {
    const median = this.median();
    const cost = costPerKb(ms, bytes);
    return `${(cost / 1000).toFixed(1)} ms per KB (${ms.toFixed(0)} ms for ${(bytes / 1024).toFixed(1)} KB), ${Math.round(cost / Math.max(median, 0.001))}x the median ${(median / 1000).toFixed(3)} ms per KB (bound: ${this.#options.factor}x and ${this.#options.floorMs} ms)`;
  }
}
