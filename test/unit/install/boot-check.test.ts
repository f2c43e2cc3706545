// The boot-time check's outcome as the daemon learns it (found in the virtual device, issue 13): the
// shipped units run usb-updater-health.service before the daemon, so the daemon's own check finds
// nothing pending; finishedOnThisBoot() still gives it the outcome for the stick the update came
// from. And what the device shows for a rollback that recorded no error of its own.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Feedback, Phase, PhaseInfo } from '../../../src/feedback/index.js';
import { finishedOnThisBoot, showBootCheck } from '../../../src/install/index.js';
import { Journal, Ledger, type Event, type JournalRecord } from '../../../src/state/index.js';
import { fileStateStore } from '../../../src/system/state/state-store.js';
import { testDeps } from '../../support/fakes/state-stores.js';

const THIS_BOOT = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A state folder whose deployment took `events`: the first on boot `installBoot`, the rest on this boot. */
async function stateWith(installBoot: string, events: readonly Event[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-boot-check-'));
  dirs.push(dir);
  const earlier = testDeps(fileStateStore(dir), installBoot);
  const deployment = await new Journal(earlier, new Ledger(earlier)).begin({ artifactName: 'release-2.0', sourcePath: '/media/stick/release-2.0.mender', stick: { uuid: 'ABCD-1234' }, size: 10, partitionBefore: '2' });
  const [first, ...rest] = events;
  if (first !== undefined) await deployment.advance(first);
  if (rest.length > 0) {
    const now = testDeps(fileStateStore(dir), THIS_BOOT);
    const resumed = await new Journal(now, new Ledger(now)).resume();
    const pending = resumed.pending?.deployment;
    assert.ok(pending, 'still pending after the first event');
    for (const event of rest) await pending.advance(event);
  }
  return dir;
}

describe('finishedOnThisBoot', () => {
  it('gives the deployment that a boot-time check committed on this boot, installed on an earlier one', async () => {
    const dir = await stateWith('earlier-boot', ['installed', 'rebooted', 'checks-passed', 'committed']);
    const result = await finishedOnThisBoot(dir);
    assert.equal(result?.status, 'committed');
    assert.equal(result?.journal.artifactName, 'release-2.0');
    assert.deepEqual(result?.journal.stick, { uuid: 'ABCD-1234' });
  });

  it('gives a rollback finished on this boot too', async () => {
    const dir = await stateWith('earlier-boot', ['installed', 'rebooted', 'checks-failed', 'rolled-back']);
    assert.equal((await finishedOnThisBoot(dir))?.status, 'rolled-back');
  });

  it('gives nothing for a deployment still pending, one installed on this boot, or none at all', async () => {
    assert.equal(await finishedOnThisBoot(await stateWith('earlier-boot', ['installed'])), null);
    assert.equal(await finishedOnThisBoot(await stateWith(THIS_BOOT, ['install-failed', 'failure-recorded'])), null);
    const empty = mkdtempSync(join(tmpdir(), 'usb-updater-test-boot-check-'));
    dirs.push(empty);
    assert.equal(await finishedOnThisBoot(empty), null);
  });
});

describe('showBootCheck', () => {
  const recording = (): { feedback: Feedback; phases: [Phase, PhaseInfo | undefined][] } => {
    const phases: [Phase, PhaseInfo | undefined][] = [];
    return { phases, feedback: { phase: (phase, info) => void phases.push([phase, info]), close: () => Promise.resolve() } };
  };

  it('an install cut short and rolled back shows what happened, not a failed health check', () => {
    const journal = { deploymentId: 'dep-1', artifactName: 'release-2.0', lastError: null, history: [{ state: 'ArtifactInstall', event: null }, { state: 'ArtifactRollback', event: 'interrupted' }, { state: 'RolledBack', event: 'rolled-back' }] } as unknown as JournalRecord;
    const { feedback, phases } = recording();
    showBootCheck({ status: 'rolled-back', journal }, feedback);
    assert.equal(phases[0]?.[0], 'failure');
    assert.equal(phases[0]?.[1]?.error?.code, 'INSTALL_FAILED');
    assert.match(phases[0]?.[1]?.error?.message ?? '', /cut short .* the same stick installs it again/);
  });

  it('a recorded error is shown as recorded', () => {
    const journal = { deploymentId: 'dep-1', artifactName: 'release-2.0', lastError: { code: 'HEALTH_CHECK_FAILED', message: 'app: exited 1' }, history: [] } as unknown as JournalRecord;
    const { feedback, phases } = recording();
    showBootCheck({ status: 'rolled-back', journal }, feedback);
    assert.deepEqual(phases[0]?.[1]?.error, { code: 'HEALTH_CHECK_FAILED', message: 'app: exited 1' });
  });
});
