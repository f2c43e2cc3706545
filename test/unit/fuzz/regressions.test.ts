// Replays, under the fuzzing oracle, every committed regression input (test/fuzz/regressions/) and
// every seed of the real corpus: each must end in a result or a known-code UpdaterError, with the
// reads agreeing. The per-test timeout is the hang check, as in the fuzzer; it measures no speed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { regressionInputs } from '../../fuzz/corpus-files.js';
import { loadTarget, targetModule, TARGET_NAMES } from '../../fuzz/targets.js';

const HANG = { timeout: 60_000 };

for (const name of TARGET_NAMES) {
  const target = await loadTarget(targetModule(name));
  describe(`fuzz target ${name}`, () => {
    const seeds = target.seeds();
    it('has seeds from the real corpus', () => assert.ok(seeds.length >= 4, `only ${seeds.length} seeds`));

    it('every seed passes the oracle, also read one byte at a time', HANG, async () => {
      // Execution 0 takes every extra path of a target (byte-at-a-time reading).
      for (const seed of seeds) assert.match(await target.run(seed, 0), /\S/);
    });

    for (const regression of regressionInputs(name)) {
      it(`regression input ${regression.name} passes the oracle`, HANG, async () => {
        assert.match(await target.run(regression.bytes, 0), /\S/);
      });
    }
  });
}
