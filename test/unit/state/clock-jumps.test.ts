// Issue 8, trust and resources: devices without an RTC start in 1970 and their clock jumps when
// NTP (or a technician) sets it, backwards too. Nothing in the journal, the ledger or the lock may
// depend on wall-clock order: recovery uses boot ids, the ledger's order is the file's, a lock is
// stale by its holder (dead, or another boot), never by its age. Every time here is injected.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acquireDeploymentLock, type LockHolder } from '../../../src/system/state/deployment-lock.js';
import { assertConsistent, ledgerOf, rig, run } from '../../support/fakes/finish-rig.js';
import { withTempDir } from '../../support/harness/temp.js';

/** A clock that hands out `times` in turn, then stays on the last one. */
function jumpingClock(times: readonly string[]): () => string {
  let i = 0;
  return () => times[Math.min(i++, times.length - 1)] ?? '1970-01-01T00:00:00.000Z';
}

const JUMPS = {
  'back to 1970 after the install': ['2026-11-27T10:00:00.000Z', '2026-11-27T10:00:01.000Z', '1970-01-01T00:00:05.000Z'],
  'backwards by a day at every write': Array.from({ length: 40 }, (_, i) => new Date(Date.UTC(2026, 10, 27 - i)).toISOString()),
  'stuck at 1970 throughout': ['1970-01-01T00:00:00.000Z'],
} as const;

describe('the wall clock jumping', () => {
  for (const [name, times] of Object.entries(JUMPS)) {
    for (const healthy of [true, false]) {
      it(`${name}: a ${healthy ? 'good' : 'failing'} update ends as without the jump, and the ledger keeps its order`, async () => {
        const r = rig({ healthy, now: jumpingClock(times), cut: { at: 2, when: 'before', kind: 'power' } });
        const { state } = await run(r);
        assert.equal(state, healthy ? 'Committed' : 'RolledBack');
        assertConsistent(healthy, state, r.device, name);
        assert.deepEqual(await ledgerOf(r.store), healthy ? ['installed', 'committed'] : ['installed', 'rolled-back checks-failed']);
      });
    }
  }

  it('a lock is never judged by its age: a live holder from "the future" still holds it, a dead one from 1970 is taken over', async () => {
    await withTempDir(async (dir) => {
      const held = await acquireDeploymentLock(dir, { bootId: 'boot-1', now: '2099-01-01T00:00:00.000Z', pid: process.pid });
      const alive = (holder: LockHolder): Promise<boolean> => Promise.resolve(holder.pid === process.pid);
      await assert.rejects(acquireDeploymentLock(dir, { bootId: 'boot-1', now: '1970-01-01T00:00:00.000Z', pid: 4242, isAlive: alive }), { code: 'STATE_LOCKED' });
      // Its holder died: the lock is stale whatever the clocks say.
      const taken = await acquireDeploymentLock(dir, { bootId: 'boot-1', now: '1970-01-01T00:00:00.000Z', pid: 4242, isAlive: () => Promise.resolve(false) });
      assert.equal(taken.holder.pid, 4242);
      await taken.release();
      await held.release();
    });
  });
});
