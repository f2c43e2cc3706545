// The recovery table end to end, on a model of the device: the Mender client and the bootloader as
// MENDER-FACTS.md describes them (install sets upgrade_available, commit/rollback clear it, the
// bootloader falls back past bootlimit), a reference runner doing each state's side effect, and a
// power cut or a kill before and after every side effect. Whatever the cut, the deployment ends in
// a terminal state that matches the device: never committed without a passing check, never
// committed with failing checks, never "rolled back" while the new image stays. The real client
// and the real runner are the fault tests' job; this checks that the table's design holds.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Journal, Ledger, isTerminal, type Deployment, type Event, type State } from '../../../src/state/index.js';
import { memoryStore, testDeps, type MemoryStore } from '../../support/state-stores.js';

type Part = 'A' | 'B';
const other = (p: Part): Part => (p === 'A' ? 'B' : 'A');
const BOOTLIMIT = 3;

class Device {
  bootPart: Part = 'A';
  upgradeAvailable = false;
  bootcount = 0;
  running: Part = 'A';
  boots = 1;
  /** The client's own record of an uncommitted install (its LMDB store). */
  clientPending = false;
  /** Whether health checks ever passed on the new image. */
  checkedGood = false;

  get bootId(): string {
    return `boot-${this.boots}`;
  }

  boot(): void {
    if (this.upgradeAvailable) {
      this.bootcount += 1;
      // altbootcmd: past the limit, swap back and clear upgrade_available.
      if (this.bootcount > BOOTLIMIT) {
        this.bootPart = other(this.bootPart);
        this.upgradeAvailable = false;
      }
    }
    this.running = this.bootPart;
    this.boots += 1;
  }

  install(): void {
    this.bootPart = other(this.running);
    this.upgradeAvailable = true;
    this.bootcount = 0;
    this.clientPending = true;
  }

  /** 0 ok, 1 error, 2 nothing to commit. */
  commit(): number {
    if (!this.clientPending) return 2;
    if (this.running !== this.bootPart || !this.upgradeAvailable) return 1;
    this.upgradeAvailable = false;
    this.clientPending = false;
    return 0;
  }

  rollback(): void {
    if (this.clientPending && this.upgradeAvailable) {
      this.bootPart = other(this.bootPart);
      this.upgradeAvailable = false;
    }
    this.clientPending = false;
  }
}

class Stop extends Error {}

interface Cut {
  /** Index of the side effect around which the cut happens. */
  at: number;
  when: 'before' | 'after';
  /** power: the machine reboots; kill: the process restarts on the same boot. */
  kind: 'power' | 'kill';
}

/** Runs a whole deployment from A to B with an optional cut; returns the final state. */
async function deploy(healthy: boolean, cut: Cut | null): Promise<{ state: State; device: Device; store: MemoryStore }> {
  const device = new Device();
  const store = memoryStore();
  const journalOn = (): Journal => {
    const deps = testDeps(store, device.bootId);
    return new Journal(deps, new Ledger(deps));
  };
  let actions = 0;
  /** One side effect, with the cut around it. */
  const act = <T>(effect: () => T): T => {
    const index = actions++;
    const stop = (): never => {
      if (cut?.kind === 'power') device.boot();
      throw new Stop();
    };
    if (cut?.at === index && cut.when === 'before') stop();
    const result = effect();
    if (cut?.at === index && cut.when === 'after') stop();
    return result;
  };
  const old: Part = device.running;
  const newPart = other(old);

  const stepOf = (state: State): Event => {
    switch (state) {
      case 'ArtifactInstall':
        act(() => device.install());
        return 'installed';
      case 'ArtifactReboot':
      case 'ArtifactRollbackReboot':
        act(() => device.boot());
        throw new Stop();
      case 'ArtifactVerifyReboot':
        if (device.running === old) return 'bootloader-fell-back';
        if (!act(() => healthy)) return 'checks-failed';
        device.checkedGood = true;
        return 'checks-passed';
      case 'ArtifactCommit': {
        if (device.running === old) return 'bootloader-fell-back';
        const rc = act(() => device.commit());
        return rc === 1 ? 'commit-failed' : 'committed';
      }
      case 'ArtifactRollback':
        act(() => device.rollback());
        return device.running === newPart ? 'rollback-needs-reboot' : 'rolled-back';
      case 'ArtifactVerifyRollbackReboot':
        return device.running === old && !device.clientPending ? 'rolled-back' : 'rollback-failed';
      case 'ArtifactFailure':
        act(() => device.rollback());
        return 'failure-recorded';
      default:
        throw new Error(`no step in ${state}`);
    }
  };

  let deployment: Deployment | null = await journalOn().begin({ artifactName: 'release-2.0', sourcePath: '/m/r.mender', stick: {}, partitionBefore: old, partitionAfter: newPart });
  for (let round = 0; round < 50; round += 1) {
    if (deployment === null) {
      // The process starts again: resume from the journal, as the service does at start-up.
      const pending = (await journalOn().resume()).pending;
      if (pending === null) break;
      if (pending.recovery === null) {
        // Waiting for a reboot that someone (a technician, a watchdog) eventually does.
        device.boot();
        continue;
      }
      deployment = pending.deployment;
      await deployment.advance(pending.recovery);
    }
    try {
      if (isTerminal(deployment.record.state)) break;
      await deployment.advance(stepOf(deployment.record.state));
    } catch (err) {
      if (!(err instanceof Stop)) throw err;
      deployment = null;
    }
  }
  const state = (await journalOn().read());
  assert.equal(state.status, 'ok');
  return { state: state.status === 'ok' ? state.journal.state : 'Failed', device, store };
}

/** The terminal state must say what the device really runs. */
function assertConsistent(healthy: boolean, result: { state: State; device: Device }, label: string): void {
  const { state, device } = result;
  assert.ok(isTerminal(state), `${label}: ended in ${state}`);
  assert.equal(device.clientPending, false, `${label}: the client still has an update pending`);
  assert.equal(device.upgradeAvailable, false, `${label}: upgrade_available still set`);
  if (state === 'Committed') {
    assert.ok(healthy && device.checkedGood, `${label}: committed without a passing check`);
    assert.equal(device.running, 'B', label);
    assert.equal(device.bootPart, 'B', label);
  } else {
    assert.equal(device.bootPart, 'A', `${label}: ${state} but the bootloader boots the new image`);
  }
}

describe('power cuts and kills around every side effect', () => {
  it('without a cut, a healthy update commits and an unhealthy one rolls back', async () => {
    const good = await deploy(true, null);
    assert.equal(good.state, 'Committed');
    assertConsistent(true, good, 'healthy');
    const bad = await deploy(false, null);
    assert.equal(bad.state, 'RolledBack');
    assertConsistent(false, bad, 'unhealthy');
    const outcomes = (await new Ledger(testDeps(bad.store)).read()).entries.map((e) => `${e.outcome} ${e.cause ?? ''}`.trim());
    assert.deepEqual(outcomes, ['installed', 'rolled-back checks-failed']);
  });

  for (const healthy of [true, false]) {
    for (const kind of ['power', 'kill'] as const) {
      for (const when of ['before', 'after'] as const) {
        it(`${healthy ? 'healthy' : 'unhealthy'} image, ${kind} ${when} each side effect: ends consistent with the device`, async () => {
          for (let at = 0; at < 8; at += 1) {
            const label = `${kind} ${when} side effect ${at}`;
            const result = await deploy(healthy, { at, when, kind });
            assertConsistent(healthy, result, label);
            if (!healthy) assert.notEqual(result.state, 'Committed', label);
          }
        });
      }
    }
  }

  it('a decided commit survives a power cut right after the decision', async () => {
    // Side effects: 0 install, 1 reboot, 2 checks, 3 commit: cut before the commit runs.
    const result = await deploy(true, { at: 3, when: 'before', kind: 'power' });
    assert.equal(result.state, 'Committed');
  });

  it('an install cut by a power loss is rolled back, never committed, even if the client completed it', async () => {
    for (const when of ['before', 'after'] as const) {
      const result = await deploy(true, { at: 0, when, kind: 'power' });
      assert.equal(result.state, 'RolledBack', when);
      assertConsistent(true, result, when);
    }
  });
});
