// The time oracle: a cost per KB far above the run's median is suspect once the median is trusted,
// an input is not judged below the time floor, and in a real run the planted quadratic target is
// reported `slow` (and saved) while its linear inputs never are.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runFuzz } from '../../fuzz/run-fuzz.js';
import { costPerKb, TIME_ORACLE_OFF, TimeOracle } from '../../fuzz/time-oracle.js';
import { isQuadratic } from '../../support/fakes/planted-slow-target.js';
import { withTempDir } from '../../support/harness/temp.js';

/** An oracle that has seen `n` inputs of 4 KB taking 4 ms each: a median of 1 ms (1000 µs) per KB. */
function warmed(n: number, options = { factor: 50, floorMs: 100 }): TimeOracle {
  const oracle = new TimeOracle(options);
  for (let i = 0; i < n; i += 1) oracle.observe(4, 4096);
  return oracle;
}

describe('time oracle', () => {
  it('costs per KB, an input under 1 KB counting as 1 KB', () => {
    assert.equal(costPerKb(10, 10 * 1024), 1000);
    assert.equal(costPerKb(10, 100), 10_000);
  });

  it('suspects a cost per KB past factor × median, above the floor, once warmed up', () => {
    const oracle = warmed(60);
    assert.equal(oracle.median(), 1000);
    assert.equal(oracle.suspect(400, 4096), true, '100 ms per KB is 100x the median');
    assert.equal(oracle.suspect(150, 4096), false, '37.5 ms per KB is 37.5x: under the factor');
    assert.equal(oracle.suspect(60, 512), false, '60 ms per KB, but 60 ms is under the 100 ms floor');
    assert.equal(warmed(10).suspect(400, 4096), false, 'the median of 10 inputs is not trusted yet');
    assert.equal(warmed(60, TIME_ORACLE_OFF).suspect(100_000, 1), false, 'off');
  });

  it('keeps the worst cost per KB with the median then, and says how far past it an input is', () => {
    const oracle = warmed(60);
    oracle.observe(400, 4096);
    assert.deepEqual(oracle.worst, { costPerKb: 100_000, median: 1000, ms: 400, bytes: 4096 });
    assert.match(oracle.describe(400, 4096), /^100\.0 ms per KB \(400 ms for 4\.0 KB\), 100x the median 1\.000 ms per KB/);
  });

  it('in a run, flags the planted quadratic inputs as slow and never a linear one', { timeout: 120_000 }, async () => {
    await withTempDir(async (dir) => {
      const summary = await runFuzz({
        targetModule: new URL('../../support/fakes/planted-slow-target.js', import.meta.url).href,
        seconds: 100, runs: 150, seed: 3, timeoutMs: 10_000, maxRssMb: 4096, maxHeapMb: 256, saveDir: `${dir}/`, log: () => undefined,
        timeOracle: { factor: 10, floorMs: 40 },
      });
      assert.equal(summary.executions, 150);
      const slow = summary.findings.filter((f) => f.kind === 'slow');
      assert.ok(slow.some((f) => isQuadratic(f.input)), `no quadratic input flagged; findings: ${summary.findings.map((f) => f.message).join('; ')}`);
      assert.deepEqual(slow.filter((f) => !isQuadratic(f.input)).map((f) => f.message), [], 'a linear input was flagged');
      assert.equal(summary.findings.length, slow.length, 'only slow findings');
      for (const f of slow) assert.deepEqual(readFileSync(f.file ?? assert.fail('not saved')), f.input);
      assert.ok(summary.worst.costPerKb >= 10 * summary.worst.median, `worst ${summary.worst.costPerKb} µs/KB, median ${summary.worst.median}`);
    });
  });
});
