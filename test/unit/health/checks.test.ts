// runHealthChecks with virtual time and scripted probes: retries and intervals, per-attempt
// timeouts, the overall deadline, concurrency, the systemd rules (failed fails at once, activating
// retries), required against wanted, and the caller's abort. Checks come from the config schema,
// so every default is the real one.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runHealthChecks, type CheckResult, type HealthCheck, type HealthProbes, type HealthReport, type ProbeResult } from '../../../src/health/index.js';
import { configSchema } from '../../../src/policy/index.js';
import { FakeClock } from '../../support/fakes/fake-clock.js';

function parseChecks(...checks: unknown[]): HealthCheck[] {
  return configSchema.parse({ signature: { required: false }, health: { checks } }).health.checks;
}

/** One step of a probe's script: a result at once, a result after some time, or no result until aborted. */
type Step = ProbeResult | { after: number; result: ProbeResult } | 'hang';

interface Call {
  name: string;
  at: number;
  /** When the attempt's signal aborted, if it did. */
  abortedAt?: number;
}

/** Probes that follow a script per check name; the last step repeats. */
function scripted(clock: FakeClock, scripts: Record<string, Step[]>): HealthProbes & { calls: Call[] } {
  const calls: Call[] = [];
  const used = new Map<string, number>();
  return {
    calls,
    async probe(check, signal) {
      const call: Call = { name: check.name, at: clock.now() };
      calls.push(call);
      signal.addEventListener('abort', () => (call.abortedAt = clock.now()), { once: true });
      const script = scripts[check.name] ?? [];
      const index = used.get(check.name) ?? 0;
      used.set(check.name, index + 1);
      const step = script[Math.min(index, script.length - 1)];
      if (step === undefined) throw new Error(`no script for ${check.name}`);
      if (step === 'hang') {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
        throw new Error('unreachable');
      }
      if ('after' in step) {
        await clock.sleep(step.after, signal);
        return step.result;
      }
      return step;
    },
  };
}

const UNIT_ACTIVE: ProbeResult = { passed: true, message: 'unit app.service is active (running)' };
const UNIT_ACTIVATING: ProbeResult = { passed: false, message: 'unit app.service is activating (still starting)' };
const UNIT_FAILED: ProbeResult = { passed: false, message: 'unit app.service has failed (failed)', final: true };

const APP = { name: 'app', type: 'systemd-unit', unit: 'app.service', retries: 5, interval: '2s', timeout: '10s' };

async function run(clock: FakeClock, probes: HealthProbes, checks: HealthCheck[], deadlineMs = 300_000, extra: { signal?: AbortSignal; onResult?: (r: CheckResult) => void } = {}): Promise<HealthReport> {
  const report = await clock.run(runHealthChecks(checks, { probes, clock }, { deadlineMs, ...extra }));
  assert.equal(clock.pending, 0, 'the run leaves no timer behind');
  return report;
}

describe('runHealthChecks', () => {
  it('passes a check on its first attempt, with its message', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVE] });
    const report = await run(clock, probes, parseChecks(APP));
    assert.deepEqual(report, {
      passed: true,
      results: [{ name: 'app', type: 'systemd-unit', required: true, passed: true, attempts: 1, durationMs: 0, message: 'unit app.service is active (running)' }],
      durationMs: 0,
      deadlineExceeded: false,
      warnings: [],
    });
  });

  it('no checks: the boot passes', async () => {
    const clock = new FakeClock();
    const report = await run(clock, scripted(clock, {}), []);
    assert.deepEqual(report, { passed: true, results: [], durationMs: 0, deadlineExceeded: false, warnings: [] });
  });

  it('activating is not yet healthy: retried every interval until active', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVATING, UNIT_ACTIVATING, UNIT_ACTIVATING, UNIT_ACTIVE] });
    const report = await run(clock, probes, parseChecks(APP));
    assert.deepEqual(probes.calls.map((c) => c.at), [0, 2000, 4000, 6000]);
    assert.equal(report.passed, true);
    assert.equal(report.results[0]?.attempts, 4);
    assert.equal(report.results[0]?.durationMs, 6000);
  });

  it('activating on every attempt: fails after 1 + retries attempts, saying what it saw', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVATING] });
    const report = await run(clock, probes, parseChecks(APP));
    assert.equal(probes.calls.length, 6);
    assert.deepEqual(report.results[0], {
      name: 'app',
      type: 'systemd-unit',
      required: true,
      passed: false,
      attempts: 6,
      durationMs: 10_000,
      message: 'unit app.service is activating (still starting) after 6 attempts',
      code: 'HEALTH_CHECK_FAILED',
    });
    assert.equal(report.passed, false);
    assert.equal(report.deadlineExceeded, false);
  });

  it('a failed unit fails at once: no further attempt', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVATING, UNIT_FAILED, UNIT_ACTIVE] });
    const report = await run(clock, probes, parseChecks(APP));
    assert.equal(probes.calls.length, 2);
    assert.deepEqual([report.results[0]?.message, report.results[0]?.code, report.results[0]?.durationMs], ['unit app.service has failed (failed) after 2 attempts', 'HEALTH_CHECK_FAILED', 2000]);
  });

  it('retries: 0 means one attempt only', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVATING, UNIT_ACTIVE] });
    const report = await run(clock, probes, parseChecks({ ...APP, retries: 0 }));
    assert.equal(probes.calls.length, 1);
    assert.equal(report.results[0]?.message, 'unit app.service is activating (still starting)');
  });

  it('an attempt with no result within its timeout is aborted, counted as failed, and retried after the interval', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { api: ['hang', { after: 500, result: { passed: true, message: 'GET http://127.0.0.1:8080/health answered 200' } }] });
    const report = await run(clock, probes, parseChecks({ name: 'api', type: 'http', url: 'http://127.0.0.1:8080/health', timeout: '3s', interval: '1s' }));
    assert.deepEqual(probes.calls, [
      { name: 'api', at: 0, abortedAt: 3000 },
      // The signal of a finished attempt is aborted too: nothing of it may keep running.
      { name: 'api', at: 4000, abortedAt: 4500 },
    ]);
    assert.deepEqual([report.passed, report.results[0]?.attempts, report.results[0]?.durationMs], [true, 2, 4500]);
  });

  it('every attempt timing out: the message says so', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { api: ['hang'] });
    const report = await run(clock, probes, parseChecks({ name: 'api', type: 'http', url: 'http://127.0.0.1:8080/health', timeout: '3s', interval: '1s', retries: 2 }));
    assert.deepEqual(probes.calls.map((c) => [c.at, c.abortedAt]), [[0, 3000], [4000, 7000], [8000, 11_000]]);
    assert.deepEqual([report.results[0]?.message, report.results[0]?.code], ['GET http://127.0.0.1:8080/health: no result within 3s after 3 attempts', 'HEALTH_CHECK_FAILED']);
  });

  it('a probe that throws is a failed attempt, not a failed run', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const probes: HealthProbes = {
      probe: () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('EMFILE: too many open files')) : Promise.resolve({ passed: true, message: 'file /data/ready exists (a file)' });
      },
    };
    const report = await run(clock, probes, parseChecks({ name: 'marker', type: 'file', path: '/data/ready' }));
    assert.deepEqual([report.passed, report.results[0]?.attempts], [true, 2]);
    const failing = await run(new FakeClock(), { probe: () => Promise.reject(new Error('EMFILE: too many open files')) }, parseChecks({ name: 'marker', type: 'file', path: '/data/ready', retries: 0 }));
    assert.equal(failing.results[0]?.message, 'file /data/ready: EMFILE: too many open files');
  });

  it('checks run concurrently: two 3 s checks take 3 s, not 6', async () => {
    const clock = new FakeClock();
    const slowPass = { after: 3000, result: { passed: true, message: 'ok' } };
    const probes = scripted(clock, { a: [slowPass], b: [slowPass] });
    const report = await run(clock, probes, parseChecks({ name: 'a', type: 'tcp', host: '127.0.0.1', port: 22 }, { name: 'b', type: 'tcp', host: '127.0.0.1', port: 80 }));
    assert.deepEqual(probes.calls.map((c) => [c.name, c.at]), [['a', 0], ['b', 0]]);
    assert.equal(report.durationMs, 3000);
    assert.equal(report.passed, true);
  });

  it('results come in config order; onResult reports each as it finishes', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { slow: [{ after: 2000, result: { passed: true, message: 'slow ok' } }], quick: [{ passed: true, message: 'quick ok' }] });
    const seen: string[] = [];
    const report = await run(clock, probes, parseChecks({ name: 'slow', type: 'file', path: '/a' }, { name: 'quick', type: 'file', path: '/b' }), 300_000, { onResult: (r) => seen.push(`${r.name}@${r.durationMs}`) });
    assert.deepEqual(seen, ['quick@0', 'slow@2000']);
    assert.deepEqual(report.results.map((r) => r.name), ['slow', 'quick']);
  });

  it('the deadline fails every check still running with HEALTH_TIMEOUT and aborts its attempt; finished checks keep their result', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVATING], marker: [{ passed: true, message: 'file /data/ready exists (a file)' }], api: ['hang'] });
    const checks = parseChecks(
      { ...APP, retries: 100 },
      { name: 'marker', type: 'file', path: '/data/ready' },
      { name: 'api', type: 'http', url: 'http://127.0.0.1/', timeout: '1m', retries: 0 },
    );
    const report = await run(clock, probes, checks, 7000);
    assert.equal(report.deadlineExceeded, true);
    assert.equal(report.durationMs, 7000);
    assert.equal(report.passed, false);
    assert.deepEqual(
      report.results.map((r) => [r.name, r.passed, r.attempts, r.durationMs, r.code, r.message]),
      [
        ['app', false, 4, 7000, 'HEALTH_TIMEOUT', 'deadline of 7s reached after 4 attempts; last: unit app.service is activating (still starting)'],
        ['marker', true, 1, 0, undefined, 'file /data/ready exists (a file)'],
        ['api', false, 1, 7000, 'HEALTH_TIMEOUT', 'deadline of 7s reached during attempt 1: GET http://127.0.0.1/ gave no result'],
      ],
    );
    assert.equal(probes.calls.find((c) => c.name === 'api')?.abortedAt, 7000);
  });

  it('a check that would outlast the deadline is cut there, even while it sleeps between attempts', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVATING] });
    const report = await run(clock, probes, parseChecks({ ...APP, interval: '10s' }), 15_000);
    assert.deepEqual(probes.calls.map((c) => c.at), [0, 10_000]);
    assert.deepEqual([report.results[0]?.attempts, report.results[0]?.durationMs, report.results[0]?.code], [2, 15_000, 'HEALTH_TIMEOUT']);
  });

  it('a failed wanted check is a warning; the report still passes', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVE], metrics: [{ passed: false, message: 'connect 127.0.0.1:9100 refused' }] });
    const report = await run(clock, probes, parseChecks(APP, { name: 'metrics', type: 'tcp', host: '127.0.0.1', port: 9100, required: false, retries: 0 }));
    assert.equal(report.passed, true);
    assert.deepEqual(report.warnings, ['wanted check metrics failed: connect 127.0.0.1:9100 refused']);
    assert.deepEqual(report.results.map((r) => [r.name, r.required, r.passed]), [['app', true, true], ['metrics', false, false]]);
  });

  it("a wanted check cut by the deadline is a warning too; a required one's failure fails the report", async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_FAILED], metrics: ['hang'] });
    const report = await run(clock, probes, parseChecks(APP, { name: 'metrics', type: 'tcp', host: '127.0.0.1', port: 9100, required: false, timeout: '1m' }), 5000);
    assert.equal(report.passed, false);
    assert.deepEqual(report.warnings, ['wanted check metrics failed: deadline of 5s reached during attempt 1: connect 127.0.0.1:9100 gave no result']);
  });

  it("the caller's abort rejects the run with its reason, stops every probe and reports nothing", async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVATING], api: ['hang'] });
    const controller = new AbortController();
    const seen: string[] = [];
    const running = runHealthChecks(parseChecks(APP, { name: 'api', type: 'http', url: 'http://127.0.0.1/', timeout: '1m' }), { probes, clock }, { deadlineMs: 60_000, signal: controller.signal, onResult: (r) => seen.push(r.name) });
    const stopping = clock.run(clock.sleep(3000, new AbortController().signal)).then(() => controller.abort(new Error('SIGTERM')));
    await assert.rejects(clock.run(running), /SIGTERM/);
    await stopping;
    assert.deepEqual(seen, []);
    assert.equal(probes.calls.find((c) => c.name === 'api')?.abortedAt, 3000);
    assert.equal(clock.pending, 0);
  });

  it('an already aborted signal rejects before any probe runs', async () => {
    const clock = new FakeClock();
    const probes = scripted(clock, { app: [UNIT_ACTIVE] });
    await assert.rejects(runHealthChecks(parseChecks(APP), { probes, clock }, { deadlineMs: 1000, signal: AbortSignal.abort(new Error('stopped')) }), /stopped/);
    assert.deepEqual(probes.calls, []);
  });
});
