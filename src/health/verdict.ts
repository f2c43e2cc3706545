// The verdict on a set of check results, pure: the trial boot passes when every required check
// passed; a failed wanted check is a warning only. And the error that a failed verdict becomes.

import { UpdaterError } from '../errors/index.js';
import type { CheckResult, HealthReport } from './model.js';

export interface HealthVerdict {
  passed: boolean;
  /** Failed required checks, `name: message`. */
  failures: string[];
  /** Failed wanted checks, `wanted check name failed: message`. */
  warnings: string[];
}

/** No checks at all is a pass: reaching user space was the test. */
export function healthVerdict(results: readonly CheckResult[]): HealthVerdict {
  const failed = results.filter((result) => !result.passed);
  return {
    passed: failed.every((result) => !result.required),
    failures: failed.filter((result) => result.required).map((result) => `${result.name}: ${result.message}`),
    warnings: failed.filter((result) => !result.required).map((result) => `wanted check ${result.name} failed: ${result.message}`),
  };
}

/**
 * Throws when the report fails: HEALTH_TIMEOUT when a required check was cut by the deadline (the
 * checks did not get the time they were configured with), HEALTH_CHECK_FAILED otherwise.
 */
export function assertHealthy(report: HealthReport): void {
  const failed = report.results.filter((result) => result.required && !result.passed);
  if (failed.length === 0) return;
  const code = failed.some((result) => result.code === 'HEALTH_TIMEOUT') ? 'HEALTH_TIMEOUT' : 'HEALTH_CHECK_FAILED';
  const list = failed.map((result) => `${result.name} (${result.type}): ${result.message}`).join('; ');
  throw new UpdaterError(code, `${failed.length} of ${report.results.length} health checks failed: ${list}`);
}
