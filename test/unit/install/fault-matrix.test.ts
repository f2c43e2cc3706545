// Issue 8, the fault matrix, in full on the device model: for every pending state of the deployment
// machine, its step fails (error), never answers until its bound ends it (hang), or the process dies
// there (kill, power cut; before and after the step). Generated from PENDING_STATES through a Record
// the compiler checks, so a new state cannot be left out. Each row names the outcome it must end
// in; every row ends with nothing pending, the bootloader booting what the journal says, and never
// a commit without a passing check. Then the journal store failing at every file operation of a
// whole deployment (the real file store, test/support/fakes/state-stores.ts faultyOps): whatever it
// broke, the next start recovers. The simulator runs a representative subset with the real client
// (test/root/fault-matrix.test.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PENDING_STATES, isTerminal, type PendingState, type State } from '../../../src/state/index.js';
import { fileStateStore, type FileOps } from '../../../src/system/state/state-store.js';
import { assertConsistent, ledgerOf, rig, run, type Effect, type StateFault } from '../../support/fakes/finish-rig.js';
import { faultyOps, type Fault } from '../../support/fakes/state-stores.js';

export const FAULTS = ['error', 'hang', 'kill-before', 'kill-after', 'power-before', 'power-after'] as const;
type FaultKind = (typeof FAULTS)[number];
type Terminal = Extract<State, 'Committed' | 'RolledBack' | 'Failed'>;

interface MatrixRow {
  /** Whether the image passes its checks: the states after a rollback decision need a failing one. */
  healthy: boolean;
  /** The state's side effect that the fault strikes. */
  effect: Effect;
  /** Faults that bring the deployment into the state in the first place. */
  reach?: StateFault[];
  /** The outcome each fault must end in. */
  outcome: Record<FaultKind, Terminal>;
}

const same = (outcome: Terminal): Record<FaultKind, Terminal> => ({ error: outcome, hang: outcome, 'kill-before': outcome, 'kill-after': outcome, 'power-before': outcome, 'power-after': outcome });

/**
 * Why each outcome: an install that fails is Failed, one cut short is rolled back (never seen to
 * succeed). A reboot that cannot be asked for undoes the install; one cut is the reboot itself.
 * A check that fails or hangs is a failed check; one killed runs again. A commit that fails rolls
 * back; one killed is carried out at the next start. A rollback that fails ends Failed, with
 * ArtifactFailure rolling back once more. A rollback reboot that fails is retried at the next
 * start (the bootloader already points back). The verification after it that cannot read the
 * bootloader records a failure. ArtifactFailure's own rollback failing is retried at the next start.
 */
export const MATRIX: Record<PendingState, MatrixRow> = {
  ArtifactInstall: { healthy: true, effect: 'install', outcome: { ...same('RolledBack'), error: 'Failed', hang: 'Failed' } },
  ArtifactReboot: { healthy: true, effect: 'reboot', outcome: { ...same('Committed'), error: 'RolledBack', hang: 'RolledBack' } },
  ArtifactVerifyReboot: { healthy: true, effect: 'checks', outcome: { ...same('Committed'), error: 'RolledBack', hang: 'RolledBack' } },
  ArtifactCommit: { healthy: true, effect: 'commit', outcome: { ...same('Committed'), error: 'RolledBack', hang: 'RolledBack' } },
  ArtifactRollback: { healthy: false, effect: 'rollback', outcome: { ...same('RolledBack'), error: 'Failed', hang: 'Failed' } },
  ArtifactRollbackReboot: { healthy: false, effect: 'reboot', outcome: same('RolledBack') },
  ArtifactVerifyRollbackReboot: { healthy: false, effect: 'printenv', outcome: { ...same('RolledBack'), error: 'Failed', hang: 'Failed' } },
  ArtifactFailure: { healthy: false, effect: 'rollback', reach: [{ state: 'ArtifactRollback', effect: 'rollback', kind: 'error' }], outcome: same('Failed') },
};

describe('the fault matrix: every pending state × error, hang, kill and power cut of its step', () => {
  for (const state of PENDING_STATES) {
    const row = MATRIX[state];
    for (const kind of FAULTS) {
      it(`${state}: ${row.effect} ${kind} → ${row.outcome[kind]}`, async () => {
        const r = rig({ healthy: row.healthy, faults: [...(row.reach ?? []), { state, effect: row.effect, kind }] });
        const { state: end } = await run(r);
        const label = `${state} ${kind} (calls: ${r.calls.join(', ')})`;
        assert.equal(end, row.outcome[kind], label);
        assertConsistent(row.healthy, end, r.device, label);
        // The fault did strike (a row that never reaches its state tests nothing).
        assert.ok(r.struck.includes(`${state} ${row.effect} ${kind}`), `${label}: the fault never struck (${r.struck.join(', ')})`);
        const outcomes = await ledgerOf(r.store);
        assert.equal(outcomes.filter((o) => o !== 'installed').length, 1, `${label}: ${outcomes.join(', ')}`);
        if (!row.healthy) assert.equal(r.device.commits, 0, label);
      });
    }
  }
});

describe('the journal store failing at every file operation of a whole deployment', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** The file store in a fresh folder; `ops` decides, call by call, which operations go through faultyOps. */
  const fileStore = (ops: () => FileOps): ReturnType<typeof fileStateStore> => {
    const dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-matrix-'));
    dirs.push(dir);
    const switching: FileOps = {
      open: ((...args: Parameters<FileOps['open']>) => ops().open(...args)),
      rename: (...args) => ops().rename(...args),
      link: (...args) => ops().link(...args),
      unlink: (...args) => ops().unlink(...args),
      mkdir: ((...args: Parameters<FileOps['mkdir']>) => ops().mkdir(...args)) as FileOps['mkdir'],
    };
    return fileStateStore(dir, switching);
  };

  /** The file operations of a whole deployment without faults (the bound of N). */
  const countOps = async (healthy: boolean): Promise<number> => {
    const counting = faultyOps(Infinity, 'kill');
    const r = rig({ healthy, processStore: fileStore(() => counting) });
    await run(r);
    return counting.steps.length;
  };

  for (const healthy of [true, false]) {
    for (const fault of ['kill', 'ENOSPC', 'EROFS'] as Fault[]) {
      it(`${healthy ? 'healthy' : 'failing'} image, ${fault} at file operation N for every N: the next start recovers; never a commit without a passing check`, async () => {
        const total = await countOps(healthy);
        assert.ok(total > 20, `only ${total} file operations`);
        for (let n = 0; n < total; n += 1) {
          const faulty = faultyOps(n, fault);
          // The first process (and the ones after it, until the disk is fixed) run on faulty
          // storage; once the fault struck and the process ended, the store works again.
          let fixed = false;
          const r = rig({ healthy, processStore: fileStore(() => (fixed ? fsp : faulty)) });
          const label = `${fault} at operation ${n} (${faulty.steps.at(-1) ?? ''})`;
          try {
            await run(r);
          } catch {
            // The process failed on a write error (STATE_WRITE_FAILED): it exits; nothing else.
          }
          fixed = true;
          if ((await r.journal().read()).status === 'none') {
            // The install never started (its first journal write failed): nothing may be installed.
            assert.equal(r.device.clientPending, false, label);
            assert.equal(r.device.upgradeAvailable, false, label);
            continue;
          }
          const { state } = await run(r, { install: false });
          assert.ok(isTerminal(state), `${label}: ended in ${state}`);
          assertConsistent(healthy, state, r.device, label);
          if (!healthy) assert.notEqual(state, 'Committed', label);
        }
      });
    }
  }
});
