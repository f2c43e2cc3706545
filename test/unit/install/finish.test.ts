// The runner that finishes a deployment after its install (src/install/finish.ts), on a model of the
// device (test/support/device-model.ts): each boot case of issue 6, and a power cut or a kill before
// and after every side effect. Whatever the cut, the deployment ends in a terminal state that
// matches the device: never committed without a passing check, never committed after a fallback,
// never "rolled back" while the bootloader still boots the new image. The real client does the same
// in the A/B simulator (test/root/health.test.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finishDeployment, recoverAtStartup, type FinishDeps, type MenderClient, type StartupResult } from '../../../src/install/index.js';
import { Journal, Ledger, isTerminal, type HealthSummary, type State, type StateStore } from '../../../src/state/index.js';
import { DeviceModel, PART_NUMBER } from '../../support/device-model.js';
import { memoryStore, testDeps, type MemoryStore } from '../../support/state-stores.js';

/** The process ends here: a power cut, a kill, or the reboot it asked for. */
class Stop extends Error {}

interface Cut {
  /** Index of the side effect around which the cut happens. */
  at: number;
  when: 'before' | 'after';
  /** power: the machine reboots; kill: the process restarts on the same boot. */
  kind: 'power' | 'kill';
}

const PASSED: HealthSummary = { passed: true, durationMs: 10, deadlineExceeded: false, results: [{ name: 'app', type: 'command', required: true, passed: true, attempts: 1, durationMs: 10, message: 'exited 0' }], warnings: [] };
const FAILED: HealthSummary = { passed: false, durationMs: 10, deadlineExceeded: false, results: [{ name: 'app', type: 'command', required: true, passed: false, attempts: 3, durationMs: 10, message: '/usr/bin/app exited 1' }], warnings: [] };

interface Rig {
  device: DeviceModel;
  store: MemoryStore;
  journal(): Journal;
  deps: FinishDeps;
  calls: string[];
  logs: string[];
  /** The install (deploy() in production) and its reboot, as side effects 0 and 1; ends in Stop. */
  install(): Promise<void>;
}

/** A device with its state store, and FinishDeps whose every side effect goes through `act`. */
function rig(options: { healthy?: boolean | (() => HealthSummary); cut?: Cut | null; rebootAllowed?: boolean; bootlimit?: number } = {}): Rig {
  const device = new DeviceModel(options.bootlimit ?? 3);
  const store = memoryStore();
  const calls: string[] = [];
  const logs: string[] = [];
  let actions = 0;
  const cut = options.cut ?? null;
  // Once cut, the process is gone: no side effect and no write of it happens any more, whatever
  // the code would do next (a catch block included). The next start() brings it back.
  let dead = false;
  const alive = (): void => {
    if (dead) throw new Stop();
  };
  const act = <T>(name: string, effect: () => T): T => {
    alive();
    const index = actions++;
    const stop = (): never => {
      dead = true;
      if (cut?.kind === 'power') device.boot();
      throw new Stop();
    };
    if (cut?.at === index && cut.when === 'before') stop();
    calls.push(name);
    const result = effect();
    if (cut?.at === index && cut.when === 'after') stop();
    return result;
  };
  const health = options.healthy ?? true;
  const client: MenderClient = {
    command: 'mender',
    version: '3.4.0',
    install: () => Promise.reject(new Error('not used: the rig installs through the model')),
    commit: () => Promise.resolve({ code: act('commit', () => device.commit()), output: '' }),
    rollback: () => Promise.resolve({ code: act('rollback', () => device.rollback()), output: '' }),
    showArtifact: () => Promise.resolve('release-1'),
  };
  const deps: FinishDeps = {
    client: () => Promise.resolve(client),
    readBootFacts: () => Promise.resolve({ env: device.env(), root: PART_NUMBER[device.running] }),
    checkHealth: () =>
      Promise.resolve(
        act('checks', () => {
          const summary = typeof health === 'function' ? health() : health ? PASSED : FAILED;
          if (summary.passed) device.checkedGood = true;
          return summary;
        }),
      ),
    // The reboot is asked for; the process runs on until the boot ends (run() ends it).
    reboot: options.rebootAllowed === false ? null : () => Promise.resolve(act('reboot', () => undefined)),
    log: (message) => logs.push(message),
  };
  const processStore: StateStore = {
    read: (file) => store.read(file),
    replace: (file, data) => Promise.resolve(alive()).then(() => store.replace(file, data)),
    append: (file, data) => Promise.resolve(alive()).then(() => store.append(file, data)),
    setAside: (file) => Promise.resolve(alive()).then(() => store.setAside(file)),
  };
  /** The state as a new process finds it: a new start after a cut. */
  const journal = (): Journal => {
    dead = false;
    const state = testDeps(processStore, device.bootId);
    return new Journal(state, new Ledger(state));
  };
  const install = async (): Promise<void> => {
    const deployment = await journal().begin({ artifactName: 'release-2.0', sourcePath: '/m/r.mender', stick: {}, partitionBefore: PART_NUMBER[device.running] });
    act('install', () => device.install());
    await deployment.advance('installed', { partitionAfter: PART_NUMBER[device.bootPart] });
    act('reboot', () => {
      device.boot();
      throw new Stop();
    });
  };
  return { device, store, journal, deps, calls, logs, install };
}

/** The install and its reboot; the process ends with the reboot (or a cut). */
async function installAndReboot(r: Rig): Promise<void> {
  try {
    await r.install();
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  }
}

/** Installs, then runs the start-up recovery at every start until the deployment settles. */
async function run(r: Rig): Promise<{ state: State; results: StartupResult[] }> {
  const results: StartupResult[] = [];
  await installAndReboot(r);
  for (let start = 0; start < 40; start += 1) {
    try {
      const result = await recoverAtStartup(r.journal(), r.deps);
      results.push(result);
      if (result.status === 'nothing-pending' || result.status === 'journal-set-aside') break;
      if (result.status === 'awaiting-reboot') {
        // A reboot that someone (the technician, a watchdog) eventually does.
        r.device.boot();
        continue;
      }
      if (isTerminal(result.journal.state)) break;
    } catch (err) {
      if (!(err instanceof Stop)) throw err;
    }
  }
  const read = await r.journal().read();
  assert.equal(read.status, 'ok');
  return { state: read.status === 'ok' ? read.journal.state : 'Failed', results };
}

/** The terminal state must say what the device really runs. */
function assertConsistent(healthy: boolean, state: State, device: DeviceModel, label: string): void {
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

async function ledgerOf(store: MemoryStore): Promise<string[]> {
  return (await new Ledger(testDeps(store)).read()).entries.map((e) => `${e.outcome} ${e.cause ?? ''}`.trim());
}

describe('finishing a deployment after the reboot', () => {
  it('trial boot, checks pass: committed, the new image stays, the results are in the journal', async () => {
    const r = rig({ healthy: true });
    const { state, results } = await run(r);
    assert.equal(state, 'Committed');
    assertConsistent(true, state, r.device, 'healthy');
    assert.deepEqual(r.calls, ['install', 'reboot', 'checks', 'commit']);
    const last = results.at(-1);
    assert.equal(last?.status, 'committed');
    if (last?.status === 'committed') {
      assert.equal(last.journal.classification, 'trial-boot');
      assert.deepEqual(last.journal.health, PASSED);
    }
    assert.deepEqual(await ledgerOf(r.store), ['installed', 'committed']);
  });

  it('trial boot, checks fail: rolled back and rebooted into the old image, never committed', async () => {
    const r = rig({ healthy: false });
    const { state, results } = await run(r);
    assert.equal(state, 'RolledBack');
    assertConsistent(false, state, r.device, 'unhealthy');
    assert.deepEqual(r.calls, ['install', 'reboot', 'checks', 'rollback', 'reboot']);
    assert.equal(r.device.commits, 0);
    // The start that rolled back asked for the reboot; the next one verified the old image runs.
    assert.deepEqual(results.map((x) => x.status), ['awaiting-reboot', 'rolled-back']);
    assert.deepEqual(await ledgerOf(r.store), ['installed', 'rolled-back checks-failed']);
    const read = await r.journal().read();
    assert.equal(read.status === 'ok' ? read.journal.lastError?.code : null, 'HEALTH_CHECK_FAILED');
  });

  it('the new image never reaches user space: classified as a bootloader fallback, no commit attempted', async () => {
    const r = rig({ healthy: true, bootlimit: 1 });
    await installAndReboot(r);
    // The new image's boots die before the check runs (bootcount 1, then past bootlimit: fallback).
    r.device.boot();
    assert.equal(r.device.running, 'A');
    const result = await recoverAtStartup(r.journal(), r.deps);
    assert.equal(result.status, 'rolled-back');
    assert.equal(r.device.commits, 0);
    assert.ok(!r.calls.includes('checks'), 'checks ran on the old image');
    if (result.status === 'rolled-back') assert.equal(result.journal.classification, 'bootloader-fell-back');
    assert.deepEqual(await ledgerOf(r.store), ['installed', 'rolled-back bootloader-fell-back']);
    assertConsistent(true, 'RolledBack', r.device, 'fallback');
  });

  it('still the boot of the install: does nothing', async () => {
    const r = rig();
    const deployment = await r.journal().begin({ artifactName: 'release-2.0', sourcePath: '/m/r.mender', stick: {}, partitionBefore: '2' });
    r.device.install();
    await deployment.advance('installed', { partitionAfter: '3' });
    const result = await recoverAtStartup(r.journal(), r.deps);
    assert.equal(result.status, 'awaiting-reboot');
    assert.deepEqual(r.calls, []);
    const read = await r.journal().read();
    assert.equal(read.status === 'ok' ? read.journal.state : null, 'ArtifactReboot');
  });

  it('nothing pending: nothing done; a trial pending that no journal of ours started is reported, not touched', async () => {
    const r = rig();
    assert.deepEqual(await recoverAtStartup(r.journal(), r.deps), { status: 'nothing-pending', foreignUpdate: false });
    r.device.install();
    assert.deepEqual(await recoverAtStartup(r.journal(), r.deps), { status: 'nothing-pending', foreignUpdate: true });
    assert.deepEqual(r.calls, []);
  });

  for (const healthy of [true, false]) {
    it(`an update module (no reboot): checks ${healthy ? 'pass → committed' : 'fail → rolled back'} in one run, no reboot`, async () => {
      const r = rig({ healthy });
      const deployment = await r.journal().begin({ artifactName: 'config-2', sourcePath: '/m/c.mender', stick: {}, partitionBefore: '2' });
      // A module install: the client keeps a pending record, the bootloader is not involved.
      r.device.installModule();
      await deployment.advance('installed-no-reboot');
      const result = await finishDeployment(deployment, r.deps);
      assert.equal(result.status, healthy ? 'committed' : 'rolled-back');
      assert.deepEqual(r.calls, ['checks', healthy ? 'commit' : 'rollback']);
      assert.equal(result.journal.classification, 'no-reboot-update');
      assert.equal(r.device.clientPending, false);
    });
  }

  it('a check that throws counts as failed (ON_ERROR): rolled back', async () => {
    const r = rig({
      healthy: () => {
        throw new Error('probe crashed');
      },
    });
    const { state } = await run(r);
    assert.equal(state, 'RolledBack');
    assert.equal(r.device.commits, 0);
    assertConsistent(false, state, r.device, 'throwing check');
  });

  it('reboot.mode never: the rollback waits for someone to reboot, and the unit is told this boot is not good', async () => {
    const r = rig({ healthy: false, rebootAllowed: false });
    const { state, results } = await run(r);
    assert.equal(state, 'RolledBack');
    const waiting = results.find((x) => x.status === 'awaiting-reboot' && x.journal.state === 'ArtifactRollbackReboot');
    assert.ok(waiting, JSON.stringify(results.map((x) => x.status)));
    if (waiting?.status === 'awaiting-reboot') assert.equal(waiting.rebooting, false);
  });
});

describe('a power cut or a kill around every side effect of the deployment', () => {
  for (const healthy of [true, false]) {
    for (const kind of ['power', 'kill'] as const) {
      for (const when of ['before', 'after'] as const) {
        it(`${healthy ? 'healthy' : 'unhealthy'} image, ${kind} ${when} each side effect: ends consistent with the device`, async () => {
          for (let at = 0; at < 8; at += 1) {
            const label = `${kind} ${when} side effect ${at}`;
            const r = rig({ healthy, cut: { at, when, kind } });
            const { state } = await run(r);
            assertConsistent(healthy, state, r.device, label);
            if (!healthy) assert.notEqual(state, 'Committed', label);
            const outcomes = await ledgerOf(r.store);
            // No lost record, no double one: at most one install (none when cut before the client
            // finished), then exactly one outcome.
            const installs = outcomes.filter((o) => o === 'installed').length;
            assert.ok(installs <= 1, `${label}: ${outcomes.join(', ')}`);
            assert.equal(outcomes.length - installs, 1, `${label}: ${outcomes.join(', ')}`);
          }
        });
      }
    }
  }

  it('a decided commit survives a power cut right before it runs', async () => {
    // Side effects: 0 install, 1 reboot, 2 checks, 3 commit.
    const r = rig({ healthy: true, cut: { at: 3, when: 'before', kind: 'power' } });
    const { state } = await run(r);
    assert.equal(state, 'Committed');
  });

  it('a commit that completed before a power cut hid its answer is recorded as committed ("nothing to commit")', async () => {
    const r = rig({ healthy: true, cut: { at: 3, when: 'after', kind: 'kill' } });
    const { state } = await run(r);
    assert.equal(state, 'Committed', r.logs.join('\n'));
    assert.equal(r.device.commits, 2);
  });

  it('an install cut by a power loss is rolled back, never committed, even if the client completed it', async () => {
    for (const when of ['before', 'after'] as const) {
      const r = rig({ healthy: true, cut: { at: 0, when, kind: 'power' } });
      const { state } = await run(r);
      assert.equal(state, 'RolledBack', when);
      assertConsistent(true, state, r.device, when);
      assert.equal(r.device.commits, 0, when);
    }
  });

  it('checks that kill the process every time are given up after three tries: rolled back', async () => {
    const r = rig({
      healthy: () => {
        throw new Stop();
      },
    });
    const { state } = await run(r);
    assert.equal(state, 'RolledBack');
    assert.equal(r.device.commits, 0);
    assertConsistent(false, state, r.device, 'crashing checks');
  });
});

describe('an unreadable journal at start-up', () => {
  const corrupt = async (r: Rig): Promise<void> => {
    await r.journal().begin({ artifactName: 'release-2.0', sourcePath: '/m/r.mender', stick: {} });
    r.store.files.set('journal.json', '{"format":1, "trunc');
  };

  it('with an update pending in the client: rolled back first, then set aside, then installs can start again', async () => {
    const r = rig();
    await corrupt(r);
    r.device.install();
    r.device.boot();
    assert.equal(r.device.running, 'B');
    const result = await recoverAtStartup(r.journal(), r.deps);
    assert.equal(result.status, 'journal-set-aside');
    // The new image ran: the rollback pointed the bootloader back, and the reboot goes there.
    assert.deepEqual(r.calls, ['rollback', 'reboot']);
    r.device.boot();
    assert.equal(r.device.running, 'A');
    assert.equal(r.device.bootPart, 'A');
    assert.equal((await r.journal().read()).status, 'none');
    assert.deepEqual(await ledgerOf(r.store), ['failed journal-unreadable']);
  });

  it('with nothing pending: set aside without touching the client', async () => {
    const r = rig();
    await corrupt(r);
    const result = await recoverAtStartup(r.journal(), r.deps);
    assert.equal(result.status, 'journal-set-aside');
    assert.deepEqual(r.calls, []);
  });

  it('when the rollback fails, the journal stays (installs stay refused) and STATE_CORRUPT says why', async () => {
    const r = rig();
    await corrupt(r);
    r.device.upgradeAvailable = true;
    // The client has no record of it: rollback answers 2, the bootloader still has the trial.
    await assert.rejects(recoverAtStartup(r.journal(), r.deps), (err: Error & { code?: string }) => err.code === 'STATE_CORRUPT' && /could not be rolled back/.test(err.message));
    assert.equal((await r.journal().read()).status, 'unreadable');
  });
});
