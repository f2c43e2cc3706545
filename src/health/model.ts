// The shapes the health checks share: one check's result and the report of a run (the ports through
// which the runner reaches the system are in ports.ts). Results are plain JSON: the journal stores
// them and `usb-updater status` prints them.

import type { HealthCheck } from '../policy/index.js';

export type { HealthCheck };

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
