// Issue 15 in decide(): a bug while deciding one candidate is that candidate's INTERNAL_ERROR and
// the others are still decided; a bootstrap artifact (a payload without a type) is rejected with
// PAYLOAD_TYPE_NOT_ALLOWED whatever artifacts.payload_types holds.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../../src/policy/index.js';
import { artifactInfo, device, payload, policy, read } from '../../support/artifacts/policy-inputs.js';

describe('issue 15: decide', () => {
  it('a candidate whose decision throws is INTERNAL_ERROR; another acceptable one is still selected', () => {
    const good = artifactInfo('release-2.0');
    // A model that throws when read: stands for any bug met while deciding one file.
    const broken = new Proxy(artifactInfo('release-3.0'), {
      get(target, key, receiver): unknown {
        if (key === 'payloads') throw new RangeError('Maximum call stack size exceeded');
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const decision = decide([read('a.mender', good), read('b.mender', broken)], device(), policy({ signature: { required: false } }), null);
    assert.equal(decision.outcome, 'selected');
    assert.equal(decision.selected, 'a.mender');
    const b = decision.candidates.find((c) => c.path === 'b.mender');
    assert.deepEqual(b?.reasons, [{ code: 'INTERNAL_ERROR', message: 'Maximum call stack size exceeded' }]);
    assert.equal(b?.verdict, 'reject');
  });

  it('a bootstrap artifact is PAYLOAD_TYPE_NOT_ALLOWED, even with every payload type allowed', () => {
    const bootstrap = artifactInfo('release-2.0', { payloads: [payload({ type: null, files: [] })] });
    for (const types of [['rootfs-image'], ['rootfs-image', 'null', 'bootstrap']]) {
      const decision = decide([read('a.mender', bootstrap)], device(), policy({ signature: { required: false }, artifacts: { payload_types: types } }), null);
      assert.equal(decision.selected, null);
      assert.deepEqual(decision.candidates[0]?.reasons.map((r) => r.code), ['PAYLOAD_TYPE_NOT_ALLOWED']);
      assert.match(decision.candidates[0]?.reasons[0]?.message ?? '', /bootstrap artifact/);
    }
  });
});
