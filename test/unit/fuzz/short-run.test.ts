// The short fuzz run of CI: each target, a fixed seed and a fixed number of executions, so a failure
// reproduces with `npm run fuzz -- --target T --seed S --runs R`. Any crash, hang (the runner's
// per-input limit), memory finding or disagreement fails the test and is printed with its input.
// Two choices keep it deterministic and green on a loaded 2-core machine: the time oracle is off
// (a `slow` finding is a matter of timing; hangs are still caught by the per-input limit). The
// structure-aware mutations are on: before the issue-15 hardening they found deep JSON nesting and
// super-linear matching within a few hundred executions (test/fuzz/findings-issue-15/).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFuzz } from '../../fuzz/run-fuzz.js';
import { loadTarget, targetModule, TARGET_NAMES } from '../../fuzz/targets.js';
import { TIME_ORACLE_OFF } from '../../fuzz/time-oracle.js';

const SEED = 20_261_127;
const RUNS = 400;
const STRUCTURED = true;

describe('short fuzz run', () => {
  for (const target of TARGET_NAMES) {
    it(`${target}: ${RUNS} executions from seed ${SEED} find nothing`, { timeout: 300_000 }, async () => {
      const summary = await runFuzz({
        targetModule: targetModule(target), seconds: 240, runs: RUNS, seed: SEED, timeoutMs: 20_000, maxRssMb: 1536, maxHeapMb: 512, saveDir: null, log: () => undefined,
        timeOracle: TIME_ORACLE_OFF, structured: STRUCTURED,
      });
      const found = summary.findings.map((f) => `${f.kind}: ${f.message}\n  input (base64): ${f.input.toString('base64')}`);
      assert.deepEqual(found, [], `reproduce with: npm run fuzz -- --target ${target} --seed ${SEED} --runs ${RUNS}`);
      assert.equal(summary.executions, RUNS, 'the run stopped before its executions were done');
      assert.ok(summary.blocks > 100, `only ${summary.blocks} blocks covered`);
      assert.ok(summary.corpus > (await loadTarget(targetModule(target))).seeds().length, 'coverage guidance kept no new input');
    });
  }
});
