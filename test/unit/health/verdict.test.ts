// The verdict on check results: passed iff every required check passed; failed wanted checks are
// warnings; and the error a failed report becomes (HEALTH_TIMEOUT when the deadline cut a
// required check, HEALTH_CHECK_FAILED otherwise).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpdaterError } from '../../../src/errors/index.js';
import { assertHealthy, healthVerdict, type CheckResult, type HealthReport } from '../../../src/health/index.js';

const result = (name: string, required: boolean, passed: boolean, extra: Partial<CheckResult> = {}): CheckResult => ({
  name,
  type: 'tcp',
  required,
  passed,
  attempts: 1,
  durationMs: 0,
  message: passed ? `${name} ok` : `${name} refused`,
  ...(passed ? {} : { code: 'HEALTH_CHECK_FAILED' as const }),
  ...extra,
});

const report = (results: CheckResult[]): HealthReport => ({ ...healthVerdict(results), results, durationMs: 0, deadlineExceeded: false });

describe('healthVerdict', () => {
  it('passes with no checks', () => {
    assert.deepEqual(healthVerdict([]), { passed: true, failures: [], warnings: [] });
  });

  it('passes when every required check passed, listing failed wanted ones as warnings', () => {
    assert.deepEqual(healthVerdict([result('app', true, true), result('metrics', false, false), result('ssh', false, true)]), {
      passed: true,
      failures: [],
      warnings: ['wanted check metrics failed: metrics refused'],
    });
  });

  it('fails when one required check failed, whatever the others did', () => {
    assert.deepEqual(healthVerdict([result('app', true, true), result('api', true, false), result('metrics', false, false)]), {
      passed: false,
      failures: ['api: api refused'],
      warnings: ['wanted check metrics failed: metrics refused'],
    });
  });

  it('passes when only wanted checks failed', () => {
    assert.equal(healthVerdict([result('a', false, false), result('b', false, false)]).passed, true);
  });
});

describe('assertHealthy', () => {
  const codeOf = (r: HealthReport): string | null => {
    try {
      assertHealthy(r);
      return null;
    } catch (err) {
      assert.ok(err instanceof UpdaterError);
      return `${err.code}: ${err.message}`;
    }
  };

  it('does nothing for a passing report, even with warnings', () => {
    assert.equal(codeOf(report([result('app', true, true), result('metrics', false, false)])), null);
  });

  it('HEALTH_CHECK_FAILED names every failed required check and what it saw', () => {
    assert.equal(
      codeOf(report([result('app', true, false), result('api', true, true), result('db', true, false), result('metrics', false, false)])),
      'HEALTH_CHECK_FAILED: 2 of 4 health checks failed: app (tcp): app refused; db (tcp): db refused',
    );
  });

  it('HEALTH_TIMEOUT when the deadline cut a required check', () => {
    const cut = result('api', true, false, { code: 'HEALTH_TIMEOUT', message: 'deadline of 5m reached during attempt 1: GET http://x/ gave no result' });
    assert.equal(codeOf(report([result('app', true, false), cut])), 'HEALTH_TIMEOUT: 2 of 2 health checks failed: app (tcp): app refused; api (tcp): deadline of 5m reached during attempt 1: GET http://x/ gave no result');
  });

  it('a wanted check cut by the deadline throws nothing', () => {
    assert.equal(codeOf(report([result('app', true, true), result('metrics', false, false, { code: 'HEALTH_TIMEOUT' })])), null);
  });
});
