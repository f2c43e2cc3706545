// The ports through which the pure health runner reaches the system: one attempt of a check
// (probes) and a monotonic clock. The real ones are src/system/health/; tests pass fakes.

import type { HealthCheck } from '../policy/index.js';

/** What one attempt of one check saw. */
export interface ProbeResult {
  passed: boolean;
  /** What was seen, naming the target: `unit app.service is activating (still starting)`. */
  message: string;
  /** A failure that trying again cannot mend (a failed or unknown unit): no more attempts. */
  final?: boolean;
}

/** One attempt of a check against the real system; stops promptly when `signal` aborts. */
export interface HealthProbes {
  probe(check: HealthCheck, signal: AbortSignal): Promise<ProbeResult>;
}

/**
 * Time for the runner. `now` must be monotonic: at boot the wall clock jumps when NTP or the RTC
 * sets it, which would stretch or cut the deadline. `sleep` rejects when `signal` aborts.
 */
export interface HealthClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface HealthSystem {
  probes: HealthProbes;
  clock: HealthClock;
}
