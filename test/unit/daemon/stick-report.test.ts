// Issue 7: the daemon writes a report to each stick it handled, with what the session learned: for
// nothing to install (with the decision), before an immediate reboot (never after it), once more
// when the reboot failed, for an update kept or undone in the same pass, for a failed install and
// for a stick not handled; never when
// report.enabled is false; a reporter that fails is logged and the next stick is served.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpdateRequest, UpdateResult } from '../../../src/install/index.js';
import { StickHandler } from '../../../src/daemon/stick-handler.js';
import { isSameStick } from '../../../src/media/index.js';
import type { HandledStick } from '../../../src/daemon/stick-report.js';
import { UpdaterError } from '../../../src/errors/index.js';
import type { StickIdentity } from '../../../src/media/index.js';
import { decide, type Config, type LoadedConfig } from '../../../src/policy/index.js';
import type { Deployment, JournalRecord } from '../../../src/state/index.js';
import { artifactInfo, device, policy, read } from '../../support/artifacts/policy-inputs.js';
import { recordingLogger } from '../../support/fakes/recording-logger.js';

const STICK: StickIdentity = {
  device: '/dev/sdb1', majMin: '8:17', mountPoint: '/run/usb-updater/media/sdb1', fsType: 'vfat', label: 'UPDATE', removable: true, bus: 'usb', options: ['ro'], disk: '/sys/block/sdb',
};
const config = (enabled = true): (() => LoadedConfig) => () => ({ config: { report: { enabled, folder: 'reports' } } }) as LoadedConfig;
const journal = { artifactName: 'release-2.0', deploymentId: 'dep-1' } as JournalRecord;
// The handler never drives the deployment itself: a placeholder is enough.
const deployment = {} as Deployment;
const FACTS = device();
const selected = decide([read(`${STICK.mountPoint}/release-2.0.mender`, artifactInfo('release-2.0'))], FACTS, policy(), null);
const rejected = decide([read(`${STICK.mountPoint}/other.mender`, artifactInfo('other-2.0', { device_types: ['dev-b'] }))], FACTS, policy(), null);

/** A handler whose reporter records each report with what was logged before it. */
function handlerWith(session: (request: UpdateRequest) => Promise<UpdateResult>, enabled = true, fail = false): { handler: StickHandler; reports: { handled: HandledStick; settings: Config['report']; loggedBefore: string[] }[]; said: () => string[] } {
  const { lines, logger } = recordingLogger();
  const said = (): string[] => lines.map(([level, message]) => `${level} ${message}`);
  const reports: { handled: HandledStick; settings: Config['report']; loggedBefore: string[] }[] = [];
  const reporter = (handled: HandledStick, settings: Config['report']): Promise<void> => {
    reports.push({ handled, settings, loggedBefore: said() });
    return fail ? Promise.reject(new Error('the reporter broke')) : Promise.resolve();
  };
  return { handler: new StickHandler(logger, config(enabled), session, undefined, reporter), reports, said };
}

async function handleOne(handler: StickHandler): Promise<void> {
  handler.mounted('sdb#1', STICK);
  await handler.idle();
}

describe('the report after each stick', () => {
  it('nothing to install: the decision, the device facts and the stick identity', async () => {
    const { handler, reports } = handlerWith((request) => {
      request.observe?.({ device: FACTS });
      request.observe?.({ device: FACTS, decision: rejected });
      return Promise.resolve({ kind: 'nothing', decision: rejected });
    });
    await handleOne(handler);
    assert.equal(reports.length, 1);
    const { handled, settings } = reports[0] ?? assert.fail();
    assert.deepEqual(settings, { enabled: true, folder: 'reports' });
    assert.equal(handled.outcome, 'nothing');
    assert.equal(handled.decision, rejected);
    assert.equal(handled.device, FACTS);
    assert.equal(handled.stick, STICK);
    assert.equal(handled.audit['label'], 'UPDATE');
  });

  it('installed with an immediate reboot: written before the reboot command, and only once', async () => {
    let rebooted = false;
    const { handler, reports } = handlerWith(async (request) => {
      request.observe?.({ device: FACTS, decision: selected });
      // What deploy() does through runUpdate's reboot step.
      await request.beforeReboot?.();
      rebooted = true;
      return { kind: 'deployed', decision: selected, outcome: { status: 'installed', journal, deployment, rebooting: true } };
    });
    await handleOne(handler);
    assert.ok(rebooted);
    assert.deepEqual(reports.map((r) => [r.handled.outcome, r.handled.installed, r.handled.reboot]), [['installed', 'release-2.0', 'now']]);
    assert.deepEqual(reports[0]?.loggedBefore, ['info chose release-2.0'], 'only the choice was logged, not the outcome yet: the reboot comes right after');
  });

  it('installed, rebooting once the stick is removed: says so, and the reboot later writes nothing more', async () => {
    const later = (): Promise<never> => Promise.reject(new Error('not in this test'));
    const { handler, reports } = handlerWith(() => Promise.resolve({ kind: 'deployed', decision: selected, outcome: { status: 'installed', journal, deployment, rebooting: false, rebootLater: later } }));
    await handleOne(handler);
    assert.deepEqual(reports.map((r) => [r.handled.outcome, r.handled.reboot]), [['installed', 'on-removal']]);
  });

  it('an update that needed no reboot, checked in the same pass: kept, or undone with its error', async () => {
    const undone = { ...journal, lastError: { code: 'HEALTH_CHECK_FAILED', message: 'app did not start' } } as JournalRecord;
    for (const finished of [{ status: 'committed' as const, journal }, { status: 'rolled-back' as const, journal: undone }]) {
      const { handler, reports } = handlerWith(() => Promise.resolve({ kind: 'deployed', decision: selected, outcome: { status: 'installed', journal, deployment, rebooting: false }, finished }));
      await handleOne(handler);
      assert.deepEqual(reports.map((r) => [r.handled.outcome, r.handled.installed, r.handled.error?.code]), [[finished.status, 'release-2.0', finished.journal.lastError?.code]]);
    }
  });

  it('a reboot that failed after the "installed" report: a second report tells the truth', async () => {
    const error = new UpdaterError('INSTALL_FAILED', 'reboot failed: exit 1');
    const { handler, reports } = handlerWith(async (request) => {
      request.observe?.({ device: FACTS, decision: selected });
      await request.beforeReboot?.();
      return { kind: 'deployed', decision: selected, outcome: { status: 'failed', journal, error } };
    });
    await handleOne(handler);
    assert.deepEqual(reports.map((r) => [r.handled.outcome, r.handled.error?.code]), [['installed', undefined], ['failed', 'INSTALL_FAILED']]);
  });

  it('a stick not handled: the error code, and what was learned before it was thrown', async () => {
    const { handler, reports, said } = handlerWith((request) => {
      request.observe?.({ device: FACTS });
      return Promise.reject(new UpdaterError('MEDIA_GONE', 'EIO during the search'));
    });
    await handleOne(handler);
    assert.deepEqual(reports.map((r) => [r.handled.outcome, r.handled.error, r.handled.device]), [['not-handled', { code: 'MEDIA_GONE', message: 'EIO during the search' }, FACTS]]);
    assert.deepEqual(said(), ['error usb-updater: failed MEDIA_GONE']);
  });

  it('report.enabled false: no report', async () => {
    const { handler, reports } = handlerWith(() => Promise.resolve({ kind: 'nothing', decision: rejected }), false);
    await handleOne(handler);
    assert.deepEqual(reports, []);
  });

  it('a reporter that fails is logged; the next stick is served', async () => {
    let sessions = 0;
    const { handler, reports, said } = handlerWith(() => {
      sessions += 1;
      return Promise.resolve({ kind: 'nothing', decision: rejected });
    }, true, true);
    await handleOne(handler);
    await handleOne(handler);
    assert.equal(sessions, 2);
    assert.equal(reports.length, 2);
    assert.deepEqual(said(), ['info usb-updater: nothing to install', 'error report not written to the stick', 'info usb-updater: nothing to install', 'error report not written to the stick']);
  });

  it('after the boot-time check: its outcome goes to the stick the update came from (same UUID), once, before that stick\'s own report', async () => {
    const nothing = (): Promise<UpdateResult> => Promise.resolve({ kind: 'nothing', decision: rejected });
    const { handler, reports } = handlerWith(nothing);
    const recorded = { ...journal, stick: { uuid: 'ABCD-1234', label: 'UPDATE' }, lastError: { code: 'HEALTH_CHECK_FAILED', message: 'app: exited 1' } } as JournalRecord;
    handler.afterBootCheck({ status: 'rolled-back', journal: recorded });
    // Another stick first: not the one the update came from.
    handler.mounted('sdc#1', { ...STICK, device: '/dev/sdc1', uuid: 'FFFF-0000' });
    await handler.idle();
    handler.mounted('sdb#1', { ...STICK, uuid: 'abcd-1234' });
    await handler.idle();
    handler.mounted('sdb#2', { ...STICK, uuid: 'abcd-1234' });
    await handler.idle();
    assert.deepEqual(reports.map((r) => [r.handled.stick.uuid, r.handled.outcome]), [['FFFF-0000', 'nothing'], ['abcd-1234', 'rolled-back'], ['abcd-1234', 'nothing'], ['abcd-1234', 'nothing']]);
    const boot = reports[1]?.handled;
    assert.equal(boot?.installed, 'release-2.0');
    assert.deepEqual(boot?.error, { code: 'HEALTH_CHECK_FAILED', message: 'app: exited 1' });
  });

  it('isSameStick: by filesystem UUID (any case), else by USB serial and ids, never by device name alone', () => {
    assert.equal(isSameStick({ uuid: 'AB-12' }, { uuid: 'ab-12' }), true);
    assert.equal(isSameStick({ uuid: 'AB-12' }, { uuid: 'AB-13', serial: 'S' }), false);
    assert.equal(isSameStick({ serial: 'S1', vendorId: '0781', productId: '5567' }, { serial: 'S1', vendorId: '0781', productId: '5567' }), true);
    assert.equal(isSameStick({ serial: 'S1', vendorId: '0781', productId: '5567' }, { serial: 'S1', vendorId: '0781', productId: '5568' }), false);
    assert.equal(isSameStick({ device: '/dev/sdb1' }, { device: '/dev/sdb1' }), false);
  });
});

describe('the diagnostics request of a stick (issue 17)', () => {
  /** A handler whose diagnostics runner records when it ran (what the reporter had been given by then). */
  function withDiagnostics(session: (request: UpdateRequest) => Promise<UpdateResult>): { handler: StickHandler; reports: HandledStick[]; events: string[] } {
    const { logger } = recordingLogger();
    const reports: HandledStick[] = [];
    const events: string[] = [];
    const reporter = (handled: HandledStick): Promise<void> => {
      events.push(`report ${handled.outcome}`);
      reports.push(handled);
      return Promise.resolve();
    };
    const diagnostics = (): Promise<{ status: 'refused'; code: string; message: string }> => {
      events.push('diagnostics');
      return Promise.resolve({ status: 'refused', code: 'DIAGNOSTICS_REQUEST_UNSIGNED', message: 'no .sig' });
    };
    return { handler: new StickHandler(logger, config(), session, undefined, reporter, diagnostics), reports, events };
  }

  it('nothing to install: taken after the update is done, before the report, which says what came of it', async () => {
    const { handler, reports, events } = withDiagnostics(() => {
      events.push('update');
      return Promise.resolve({ kind: 'nothing', decision: rejected });
    });
    await handleOne(handler);
    assert.deepEqual(events, ['update', 'diagnostics', 'report nothing']);
    assert.deepEqual(reports[0]?.diagnostics, { status: 'refused', code: 'DIAGNOSTICS_REQUEST_UNSIGNED', message: 'no .sig' });
  });

  it('an immediate reboot is never delayed by it: the report before the reboot is written without it', async () => {
    const { handler, reports, events } = withDiagnostics(async (request) => {
      request.observe?.({ device: FACTS, decision: selected });
      await request.beforeReboot?.();
      events.push('reboot');
      return { kind: 'deployed', decision: selected, outcome: { status: 'installed', journal, deployment, rebooting: true } };
    });
    await handleOne(handler);
    assert.deepEqual(events, ['report installed', 'reboot']);
    assert.equal(reports[0]?.diagnostics, undefined);
  });

  it('a reboot that failed after the first report: taken once, in the report that tells the truth', async () => {
    const { handler, reports, events } = withDiagnostics(async (request) => {
      await request.beforeReboot?.();
      return { kind: 'deployed', decision: selected, outcome: { status: 'failed', journal, error: new UpdaterError('INSTALL_FAILED', 'reboot failed') } };
    });
    await handleOne(handler);
    assert.deepEqual(events, ['report installed', 'diagnostics', 'report failed']);
    assert.equal(reports[1]?.diagnostics?.status, 'refused');
  });
});
