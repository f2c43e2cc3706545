// Virtual time for tests of code that sleeps: `sleep` only registers a timer, and `run` moves time
// to the next timer whenever the work under test has nothing else to do. Assertions on times are
// then exact and instant, however long the configured timeouts and intervals are.

import type { HealthClock } from '../../../src/health/index.js';

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

const idle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class FakeClock implements HealthClock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer: Timer = {
        at: this.#now + ms,
        seq: this.#seq++,
        fire: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Timers still pending (a run that ends must leave none behind). */
  get pending(): number {
    return this.#timers.length;
  }

  /** Awaits `work`, moving time forward to the next timer each time everything else is waiting. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await idle();
      if (settled) return work;
      const next = [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined) throw new Error('the work is waiting for something other than time: no timer is pending');
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.at;
      next.fire();
    }
  }
}
