// Runs the configured health checks: all of them at once, each tried up to 1 + `retries` times,
// every attempt bounded by the check's `timeout` and attempts `interval` apart, the whole run bounded
// by one deadline. Pure: the probes and the clock come in through HealthSystem.

import { formatDuration } from '../policy/index.js';
import { healthVerdict } from './verdict.js';
import type { CheckResult, HealthCheck, HealthFailureCode, HealthReport } from './model.js';
import type { HealthSystem, ProbeResult } from './ports.js';
import { describeTarget } from './target.js';

export interface RunHealthOptions {
  /** Time for all checks together (health.deadline). */
  deadlineMs: number;
  /** Stops the run (the service is being stopped): it rejects with the signal's reason, never reports a verdict. */
  signal?: AbortSignal;
  /** Called as each check finishes, in the order they finish (for the journal and the log). */
  onResult?: (result: CheckResult) => void;
}

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** One attempt: the probe against its timeout. null when the run was stopped (deadline or abort) first. */
async function attempt(check: HealthCheck, system: HealthSystem, run: AbortSignal): Promise<ProbeResult | null> {
  if (run.aborted) return null;
  const controller = new AbortController();
  const stop = (): void => controller.abort(run.reason);
  run.addEventListener('abort', stop, { once: true });
  const stopped = new Promise<null>((resolve) => controller.signal.addEventListener('abort', () => resolve(null), { once: true }));
  try {
    const timedOut = system.clock.sleep(check.timeout, controller.signal).then(
      (): ProbeResult => ({ passed: false, message: `${describeTarget(check)}: no result within ${formatDuration(check.timeout)}` }),
      () => null,
    );
    // A probe that throws is a failed attempt, not a failed run: the next attempt may fare better.
    const probed = system.probes.probe(check, controller.signal).catch((err: unknown): ProbeResult => ({ passed: false, message: `${describeTarget(check)}: ${errorMessage(err)}` }));
    return await Promise.race([probed, timedOut, stopped]);
  } finally {
    // Ends the timeout's sleep, and tells a probe still running (a timed-out command) to stop.
    controller.abort();
    run.removeEventListener('abort', stop);
  }
}

const afterAttempts = (message: string, attempts: number): string => (attempts > 1 ? `${message} after ${attempts} attempts` : message);

async function runCheck(check: HealthCheck, system: HealthSystem, run: AbortSignal, deadlineMs: number): Promise<CheckResult> {
  const { clock } = system;
  const started = clock.now();
  let attempts = 0;
  let last: ProbeResult | null = null;
  const finish = (passed: boolean, message: string, code?: HealthFailureCode): CheckResult => ({
    name: check.name,
    type: check.type,
    required: check.required,
    passed,
    attempts,
    durationMs: Math.round(clock.now() - started),
    message,
    ...(code === undefined ? {} : { code }),
  });
  while (attempts <= check.retries && !run.aborted) {
    if (attempts > 0) {
      try {
        await clock.sleep(check.interval, run);
      } catch {
        break;
      }
    }
    attempts += 1;
    const result = await attempt(check, system, run);
    if (result === null) break;
    last = result;
    if (result.passed) return finish(true, result.message);
    // A failed unit will not become active by waiting: retrying only delays the rollback.
    if (result.final === true) return finish(false, afterAttempts(result.message, attempts), 'HEALTH_CHECK_FAILED');
  }
  if (!run.aborted && last !== null) return finish(false, afterAttempts(last.message, attempts), 'HEALTH_CHECK_FAILED');
  const deadline = `deadline of ${formatDuration(deadlineMs)} reached`;
  return last === null
    ? finish(false, `${deadline} during attempt ${attempts}: ${describeTarget(check)} gave no result`, 'HEALTH_TIMEOUT')
    : finish(false, `${deadline} after ${attempts} attempts; last: ${last.message}`, 'HEALTH_TIMEOUT');
}

/** Runs every check concurrently and reports; the verdict is `passed` (see verdict.ts). */
export async function runHealthChecks(checks: readonly HealthCheck[], system: HealthSystem, options: RunHealthOptions): Promise<HealthReport> {
  const { clock } = system;
  options.signal?.throwIfAborted();
  const started = clock.now();
  // Aborted at the deadline, when the caller aborts, and at the end (which ends the deadline's sleep).
  const run = new AbortController();
  const stop = (): void => run.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  let deadlineExceeded = false;
  void clock.sleep(options.deadlineMs, run.signal).then(
    () => {
      deadlineExceeded = true;
      run.abort(new Error('health deadline reached'));
    },
    () => undefined,
  );
  try {
    const results = await Promise.all(
      checks.map(async (check) => {
        const result = await runCheck(check, system, run.signal, options.deadlineMs);
        if (options.signal?.aborted !== true) options.onResult?.(result);
        return result;
      }),
    );
    options.signal?.throwIfAborted();
    const verdict = healthVerdict(results);
    return { passed: verdict.passed, results, durationMs: Math.round(clock.now() - started), deadlineExceeded, warnings: verdict.warnings };
  } finally {
    run.abort();
    options.signal?.removeEventListener('abort', stop);
  }
}
