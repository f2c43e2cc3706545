// The deployment lock: one holder at a time; a holder that is dead, from another boot, or reused
// its pid, or a damaged lock file, is stale and taken over; release removes only our own lock.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UpdaterError } from '../../../../src/errors/index.js';
import { acquireDeploymentLock, isProcessAlive, type LockHolder } from '../../../../src/system/state/deployment-lock.js';
import { readProcessStartTime } from '../../../../src/system/state/boot-id.js';
import { withTempDir } from '../../../support/harness/temp.js';

const NOW = '2026-11-27T10:00:00.000Z';
const alive = (): Promise<boolean> => Promise.resolve(true);
const dead = (): Promise<boolean> => Promise.resolve(false);
const isLocked = (err: unknown): boolean => err instanceof UpdaterError && err.code === 'STATE_LOCKED';
const holderIn = (dir: string): LockHolder => JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')) as LockHolder;

describe('deployment lock', () => {
  it('is taken, refused to a second taker while the holder lives, and released', () =>
    withTempDir(async (dir) => {
      const lock = await acquireDeploymentLock(dir, { bootId: 'b1', now: NOW, pid: 100, isAlive: alive });
      assert.deepEqual(holderIn(dir), lock.holder);
      assert.equal(lock.holder.pid, 100);
      await assert.rejects(acquireDeploymentLock(dir, { bootId: 'b1', now: NOW, pid: 200, isAlive: alive }), isLocked);
      await lock.release();
      assert.deepEqual(readdirSync(dir), []);
      const again = await acquireDeploymentLock(dir, { bootId: 'b1', now: NOW, pid: 200, isAlive: alive });
      assert.equal(holderIn(dir).pid, again.holder.pid);
    }));

  it('takes over a lock whose holder is dead', () =>
    withTempDir(async (dir) => {
      await acquireDeploymentLock(dir, { bootId: 'b1', now: NOW, pid: 100, isAlive: alive });
      const lock = await acquireDeploymentLock(dir, { bootId: 'b1', now: NOW, pid: 200, isAlive: dead });
      assert.equal(holderIn(dir).pid, 200);
      assert.equal(lock.holder.pid, 200);
    }));

  it('takes over a lock from another boot, even if a process with that pid runs now', () =>
    withTempDir(async (dir) => {
      await acquireDeploymentLock(dir, { bootId: 'b1', now: NOW, pid: 100, isAlive: alive });
      await acquireDeploymentLock(dir, { bootId: 'b2', now: NOW, pid: 200, isAlive: alive });
      assert.equal(holderIn(dir).bootId, 'b2');
    }));

  it('takes over a damaged lock file', () =>
    withTempDir(async (dir) => {
      writeFileSync(join(dir, 'lock'), '{"pid":');
      await acquireDeploymentLock(dir, { bootId: 'b1', now: NOW, pid: 200, isAlive: alive });
      assert.equal(holderIn(dir).pid, 200);
    }));

  it('does not release a lock that another process took over', () =>
    withTempDir(async (dir) => {
      const mine = await acquireDeploymentLock(dir, { bootId: 'b1', now: NOW, pid: 100, isAlive: alive });
      await acquireDeploymentLock(dir, { bootId: 'b1', now: NOW, pid: 200, isAlive: dead });
      await mine.release();
      assert.equal(holderIn(dir).pid, 200);
    }));

  it('tells a live process from a dead one and from a reused pid', async () => {
    const self: LockHolder = { pid: process.pid, startTime: await readProcessStartTime(process.pid), bootId: 'b', since: NOW };
    assert.ok(self.startTime !== null && /^\d+$/.test(self.startTime));
    assert.equal(await isProcessAlive(self), true);
    assert.equal(await isProcessAlive({ ...self, startTime: '1' }), false, 'same pid, another process');
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    assert.equal(await isProcessAlive({ ...self, pid: Number(child.stdout), startTime: null }), false);
  });

  it('uses the real liveness check by default', () =>
    withTempDir(async (dir) => {
      await acquireDeploymentLock(dir, { bootId: 'b1', now: NOW });
      await assert.rejects(acquireDeploymentLock(dir, { bootId: 'b1', now: NOW }), isLocked);
    }));
});
