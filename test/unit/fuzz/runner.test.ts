// The fuzz runner catches each kind of finding (an exception outside the oracle, a disagreement,
// an endless loop, a promise that never settles, a heap that grows without bound), writes each
// input to the regression folder, and goes on fuzzing after replacing a stuck or dead worker.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { runFuzz } from '../../fuzz/run-fuzz.js';
import { PLANTED } from '../../support/fakes/planted-fuzz-target.js';
import { withTempDir } from '../../support/harness/temp.js';

it('finds, saves and survives every planted fault', { timeout: 120_000 }, async () => {
  await withTempDir(async (dir) => {
    const summary = await runFuzz({
      targetModule: new URL('../../support/fakes/planted-fuzz-target.js', import.meta.url).href,
      seconds: 100, runs: 40, seed: 1, timeoutMs: 1000, maxRssMb: 4096, maxHeapMb: 64, saveDir: `${dir}/`, log: () => undefined,
    });
    const byInput = new Map(summary.findings.map((f) => [f.input.toString('latin1'), f]));
    const expected: Record<keyof typeof PLANTED, string> = { crash: 'crash', disagree: 'inconsistent', loop: 'hang', pending: 'hang', heap: 'memory' };
    for (const [fault, kind] of Object.entries(expected)) {
      const finding = byInput.get(PLANTED[fault as keyof typeof PLANTED]);
      assert.ok(finding, `the ${fault} fault was not found; found: ${summary.findings.map((f) => f.message).join('; ')}`);
      assert.equal(finding.kind, kind, `${fault}: ${finding.message}`);
      const file = finding.file ?? assert.fail(`${fault}: not saved`);
      assert.ok(file.startsWith(`${dir}/${kind}-`), file);
      assert.deepEqual(readFileSync(file), finding.input);
    }
    // The harmless seed and its mutants ran to the end of the budget despite the restarts.
    assert.equal(summary.executions, 40);
    assert.ok((summary.outcomes['harmless'] ?? 0) > 0);
  });
});
