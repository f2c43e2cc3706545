// The runner that finishes a deployment after its install (src/install/finish.ts), on a model of the
// device (test/support/fakes/finish-rig.ts): each boot case of issue 6, and a power cut or a kill before
// and after every side effect. Whatever the cut, the deployment ends in a terminal state that
// matches the device: never committed without a passing check, never committed after a fallback,
// never "rolled back" while the bootloader still boots the new image. The real client does the same
// in the A/B simulator (test/root/health.test.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finishDeployment, recoverAtStartup } from '../../../src/install/index.js';
import { PASSED, Stop, assertConsistent, installAndReboot, ledgerOf, rig, run, type Rig } from '../../support/fakes/finish-rig.js';

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
