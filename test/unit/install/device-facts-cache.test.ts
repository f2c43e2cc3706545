// The daemon's device facts read once: the provides while the client's store is unchanged, the
// client for the life of the process, never a failure.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DeviceFactsCache, type ClientIdentity } from '../../../src/install/index.js';
import { providesStamp } from '../../../src/system/policy/device-facts.js';
import { withTempDir } from '../../support/harness/temp.js';

function readers(): { stamp: string; fail: boolean; calls: { provides: number; client: number }; cache: DeviceFactsCache } {
  const state = { stamp: 'a', fail: false, calls: { provides: 0, client: 0 } };
  const cache = new DeviceFactsCache({
    stamp: () => Promise.resolve(state.stamp),
    provides: () => {
      state.calls.provides += 1;
      return state.fail ? Promise.reject(new Error('show-provides failed')) : Promise.resolve({ artifact_name: `release-${state.calls.provides}` });
    },
    client: () => {
      state.calls.client += 1;
      return state.fail ? Promise.reject(new Error('no client')) : Promise.resolve<ClientIdentity>({ command: 'mender', version: '3.4.0' });
    },
  });
  return Object.assign(state, { cache });
}

describe('DeviceFactsCache', () => {
  it('reads the provides once while the stamp stays, and again once it changes', async () => {
    const r = readers();
    assert.deepEqual(await r.cache.provides(), { artifact_name: 'release-1' });
    assert.deepEqual(await r.cache.provides(), { artifact_name: 'release-1' });
    assert.equal(r.calls.provides, 1);
    r.stamp = 'b';
    assert.deepEqual(await r.cache.provides(), { artifact_name: 'release-2' });
    assert.equal(r.calls.provides, 2);
  });

  it('keeps no failure: the next call reads again', async () => {
    const r = readers();
    r.fail = true;
    await assert.rejects(r.cache.provides(), /show-provides failed/);
    await assert.rejects(r.cache.client(), /no client/);
    r.fail = false;
    assert.deepEqual(await r.cache.provides(), { artifact_name: 'release-2' });
    assert.deepEqual(await r.cache.client(), { command: 'mender', version: '3.4.0' });
    assert.deepEqual(r.calls, { provides: 2, client: 2 });
  });

  it('detects the client once, and warm() reads both ahead without throwing', async () => {
    const r = readers();
    r.fail = true;
    await r.cache.warm();
    r.fail = false;
    await r.cache.warm();
    await r.cache.client();
    await r.cache.provides();
    assert.deepEqual(r.calls, { provides: 2, client: 2 });
  });
});

describe('providesStamp', () => {
  it('changes when a file is written or appears, and says "-" for a missing one', async () => {
    await withTempDir(async (dir) => {
      const store = join(dir, 'mender-store');
      const info = join(dir, 'artifact_info');
      writeFileSync(info, 'artifact_name=release-1\n');
      const missing = await providesStamp([store, info]);
      assert.match(missing, /^- \d+:24:\d+$/);
      writeFileSync(store, 'x');
      const first = await providesStamp([store, info]);
      assert.notEqual(first, missing);
      assert.equal(await providesStamp([store, info]), first);
      writeFileSync(store, 'xy');
      assert.notEqual(await providesStamp([store, info]), first);
    });
  });
});
