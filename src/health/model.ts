// The shapes the health checks share: one attempt's result (from a probe), one check's result and
// the report of a run, and the two ports through which the pure runner reaches the system. Results
// are plain JSON: the journal stores them and `usb-updater status` prints them.

import type { HealthCheck } from '../policy/index.js';

export type { HealthCheck };

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

export type HealthFailureCode = 'HEALTH_CHECK_FAILED' | 'HEALTH_TIMEOUT';

export interface CheckResult {
  name: string;
  type: HealthCheck['type'];
  required: boolean;
  passed: boolean;
  /** Attempts started (the last one may have been cut by the deadline). */
  attempts: number;
  durationMs: number;
  message: string;
  /** Why it failed: every attempt failed (or one finally), or the deadline came first. */
  code?: HealthFailureCode;
}

export interface HealthReport {
  /** Every required check passed. */
  passed: boolean;
  /** One per configured check, in the config's order. */
  results: CheckResult[];
  durationMs: number;
  deadlineExceeded: boolean;
  /** Failed wanted checks: logged, not fatal. */
  warnings: string[];
}
