// decide() on sticks fast-check draws (several versions, copies, skipped and failed files, every
// tie and downgrade rule): the decision does not depend on the order the candidates came in.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decide, type Candidate } from '../../../src/policy/index.js';
import { artifactInfo, device, failed, policy, read, skipped } from '../../support/artifacts/policy-inputs.js';

const version = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })).map(([a, b]) => `release-${a}.${b}`);

const candidate = (path: string): fc.Arbitrary<Candidate> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.tuple(version, fc.boolean(), fc.constantFrom('dev-a', 'dev-b')).map(([name, verified, type]) => read(path, artifactInfo(name, { signature_verified: verified, device_types: [type] }))) },
    { weight: 1, arbitrary: fc.constant(skipped(path, { code: 'HIDDEN_FILE', message: 'hidden' })) },
    { weight: 1, arbitrary: fc.constant(failed(path, { code: 'INVALID_ARTIFACT', message: 'ARTIFACT_TRUNCATED: cut' })) },
  );

const stick = fc
  .uniqueArray(fc.stringMatching(/^[a-z]{1,3}\/?[a-z0-9]{1,4}\.mender$/), { minLength: 1, maxLength: 7 })
  .chain((paths) => fc.tuple(...paths.map(candidate)))
  .chain((candidates) => fc.tuple(fc.constant(candidates), fc.shuffledSubarray(candidates, { minLength: candidates.length, maxLength: candidates.length })));

const rules = fc.record({
  on_tie: fc.constantFrom<'refuse' | 'first-path'>('refuse', 'first-path'),
  allow_downgrade: fc.boolean(),
  allow_reinstall: fc.boolean(),
});

describe('decide properties', () => {
  it('gives the same decision whatever the order of the candidates', () => {
    fc.assert(
      fc.property(stick, rules, ([candidates, shuffled], r) => {
        const config = policy({ selection: { on_tie: r.on_tie }, versioning: { allow_downgrade: r.allow_downgrade, allow_reinstall: r.allow_reinstall } });
        const decision = decide(candidates, device(), config, null);
        assert.deepEqual(decide(shuffled, device(), config, null), decision);
        // And the choice is one of them, or none with a reason.
        if (decision.outcome === 'selected') assert.ok(candidates.some((c) => c.path === decision.selected));
        else assert.equal(decision.selected, null);
      }),
      { numRuns: 200 },
    );
  });
});
