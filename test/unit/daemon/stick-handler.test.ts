// What the daemon does with sticks, with the pipeline held open by the test: one stick at a time (a
// second one during an install is logged and ignored), the stick's identity passed on as media facts
// and audit record, a stick that fails logged without stopping the daemon, and the reboot of
// reboot.mode on-removal asked for when the stick's session ends. Another partition of the same stick
// is searched after the first when that found nothing (issue 17), and a USB disk the device cannot
// read is shown as a failure with MEDIA_UNREADABLE.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StickHandler } from '../../../src/daemon/stick-handler.js';
import type { UpdateRequest, UpdateResult } from '../../../src/install/index.js';
import { UpdaterError } from '../../../src/errors/index.js';
import type { Feedback, Phase, PhaseInfo } from '../../../src/feedback/index.js';
import { NO_FEEDBACK } from '../../../src/feedback/index.js';
import type { DeployOutcome } from '../../../src/install/index.js';
import type { StickIdentity } from '../../../src/media/index.js';
import type { LoadedConfig } from '../../../src/policy/index.js';
import type { Deployment, JournalRecord } from '../../../src/state/index.js';

const stick = (name: string): StickIdentity => ({
  device: `/dev/${name}1`, majMin: '8:17', mountPoint: `/run/usb-updater/media/${name}1`, fsType: 'vfat', label: 'UPDATE', removable: true, bus: 'usb',
  usb: { vendorId: '0781', productId: '5581', serial: 'S1' }, options: ['ro'], disk: `/sys/block/${name}`,
});

function recorder(): { lines: [string, string, Record<string, unknown>][]; logger: { info: (m: string, f?: Record<string, unknown>) => void; warn: (m: string, f?: Record<string, unknown>) => void; error: (m: string, f?: Record<string, unknown>) => void } } {
  const lines: [string, string, Record<string, unknown>][] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}): void => {
    lines.push([level, message, fields]);
  };
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/** The report on the stick has its own tests (stick-report.test.ts): off here. */
const NO_REPORT = (): LoadedConfig => ({ config: { report: { enabled: false, folder: 'usb-updater-reports' } } }) as LoadedConfig;

const journal = { artifactName: 'release-2.0', deploymentId: 'dep-1' } as JournalRecord;
// The handler never drives the deployment itself: a placeholder is enough.
const deployment = {} as Deployment;
const installed = (rebootLater?: () => Promise<DeployOutcome>): UpdateResult => ({
  kind: 'deployed',
  decision: { outcome: 'selected', selected: 'x', summary: 's', mediaReasons: [], running: { artifactName: null, version: null }, candidates: [] },
  outcome: { status: 'installed', journal, deployment, rebooting: rebootLater === undefined, ...(rebootLater ? { rebootLater } : {}) },
});

describe('StickHandler', () => {
  it('handles one stick at a time: a second stick during an install is logged and ignored', async () => {
    const { lines, logger } = recorder();
    const requests: UpdateRequest[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const handler = new StickHandler(logger, NO_REPORT, async (request) => {
      requests.push(request);
      await held;
      return installed();
    });
    handler.mounted('sdb#1', stick('sdb'));
    handler.mounted('sdc#1', stick('sdc'));
    release();
    await handler.idle();
    assert.equal(requests.length, 1);
    assert.deepEqual(requests[0]?.paths, ['/run/usb-updater/media/sdb1']);
    assert.deepEqual(requests[0]?.media, { fsType: 'vfat', label: 'UPDATE', uuid: undefined, usb: { vendorId: '0781', productId: '5581', serial: 'S1' } });
    assert.deepEqual(requests[0]?.stick, { device: '/dev/sdb1', mountPoint: '/run/usb-updater/media/sdb1', fsType: 'vfat', label: 'UPDATE', bus: 'usb', vendorId: '0781', productId: '5581', serial: 'S1' });
    assert.deepEqual(lines.map(([level, message]) => [level, message]), [
      ['warn', 'stick ignored: another stick is being handled'],
      ['info', 'usb-updater: installed release-2.0'],
    ]);
    // Free again: the next stick is handled.
    handler.mounted('sdc#2', stick('sdc'));
    await handler.idle();
    assert.equal(requests.length, 2);
  });

  it('logs a stick that fails, with its code, and stays ready for the next', async () => {
    const { lines, logger } = recorder();
    let calls = 0;
    const handler = new StickHandler(logger, NO_REPORT, () => {
      calls += 1;
      return Promise.reject(calls === 1 ? new UpdaterError('MEDIA_GONE', '/run/usb-updater/media/sdb1: the stick went away during the search (EIO)') : new Error('bug'));
    });
    handler.mounted('sdb#1', stick('sdb'));
    await handler.idle();
    handler.mounted('sdb#2', stick('sdb'));
    await handler.idle();
    assert.deepEqual(lines.map(([level, message, fields]) => [level, message, fields['code']]), [
      ['error', 'usb-updater: failed MEDIA_GONE', 'MEDIA_GONE'],
      ['error', 'usb-updater: failed INTERNAL', 'INTERNAL'],
    ]);
  });

  it('reboot.mode on-removal: the reboot is asked for when that stick\'s session ends, not another\'s', async () => {
    const { lines, logger } = recorder();
    let reboots = 0;
    const later = (): Promise<DeployOutcome> => {
      reboots += 1;
      return Promise.resolve({ status: 'installed', journal, deployment, rebooting: true });
    };
    const handler = new StickHandler(logger, NO_REPORT, () => Promise.resolve(installed(later)));
    handler.mounted('sdb#1', stick('sdb'));
    await handler.idle();
    handler.ended('sdc#1');
    await handler.idle();
    assert.equal(reboots, 0);
    handler.ended('sdb#1');
    await handler.idle();
    assert.equal(reboots, 1);
    handler.ended('sdb#1');
    await handler.idle();
    assert.equal(reboots, 1, 'once');
    assert.deepEqual(lines.map(([, message]) => message), ['usb-updater: installed release-2.0', 'stick removed; rebooting']);
  });
});

/** A Feedback that records the phases it is shown. */
function recordingFeedback(): { phases: [Phase, PhaseInfo][]; feedback: () => Feedback } {
  const phases: [Phase, PhaseInfo][] = [];
  const feedback: Feedback = { phase: (phase, info = {}) => void phases.push([phase, info]), close: () => Promise.resolve() };
  return { phases, feedback: () => feedback };
}

describe('StickHandler feedback (issue 7)', () => {
  it('shows stick-seen, checking, installing with a capped percent (the first chunk, then once per percent) and the deployment, then rebooting', async () => {
    const { logger } = recorder();
    const { phases, feedback } = recordingFeedback();
    const handler = new StickHandler(logger, () => ({}) as LoadedConfig, (request) => {
      request.onStarted?.(journal);
      request.onProgress?.(4, 1024);
      request.onProgress?.(8, 1024);
      request.onProgress?.(512, 1024);
      request.onProgress?.(520, 1024);
      request.onProgress?.(1024, 1024);
      request.onRebooting?.();
      return Promise.resolve(installed());
    }, feedback);
    handler.mounted('sdb#1', stick('sdb'));
    handler.mounted('sdc#1', stick('sdc'));
    await handler.idle();
    const started = { deploymentId: 'dep-1', artifact: 'release-2.0' };
    assert.deepEqual(phases, [
      ['stick-seen', {}],
      ['checking', {}],
      ['installing', { ...started, percent: 0 }],
      // The first chunk is told (the client has its input); later ones only when the percent moves.
      ['installing', { ...started, percent: 0 }],
      ['installing', { ...started, percent: 50 }],
      // Every byte streamed is not the end of the install: the client still has work to do.
      ['installing', { ...started, percent: 99 }],
      ['rebooting', { ...started, reboot: 'now' }],
    ]);
  });

  it('shows nothing, failure with its code, success without a reboot, and on-removal or manual reboots', async () => {
    const cases: { result: () => Promise<UpdateResult>; want: [Phase, PhaseInfo] }[] = [
      {
        result: () => Promise.resolve({ kind: 'nothing', decision: { outcome: 'nothing', selected: null, summary: 's', mediaReasons: [], running: { artifactName: null, version: null }, candidates: [] } }),
        want: ['nothing', {}],
      },
      { result: () => Promise.reject(new UpdaterError('MEDIA_GONE', 'gone')), want: ['failure', { error: { code: 'MEDIA_GONE', message: 'gone' } }] },
      {
        result: () => Promise.resolve({ ...installed(), outcome: { status: 'failed', journal, error: new UpdaterError('INSTALL_FAILED', 'client said no') } } as UpdateResult),
        want: ['failure', { artifact: 'release-2.0', deploymentId: 'dep-1', error: { code: 'INSTALL_FAILED', message: 'client said no' } }],
      },
      {
        // An update that needed no reboot, checked and committed in the same pass.
        result: () => Promise.resolve({ ...installed(), outcome: { status: 'installed', journal: { ...journal, state: 'ArtifactVerifyReboot' }, rebooting: false }, finished: { status: 'committed', journal: { ...journal, state: 'Committed' } } } as UpdateResult),
        want: ['success', {}],
      },
      {
        result: () => Promise.resolve({ ...installed(), outcome: { status: 'installed', journal: { ...journal, state: 'ArtifactReboot' }, rebooting: false } } as UpdateResult),
        want: ['rebooting', { reboot: 'manual' }],
      },
      { result: () => Promise.resolve(installed(() => Promise.resolve({ status: 'installed', journal, deployment, rebooting: true }))), want: ['rebooting', { reboot: 'on-removal' }] },
    ];
    for (const { result, want } of cases) {
      const { phases, feedback } = recordingFeedback();
      const handler = new StickHandler(recorder().logger, () => ({}) as LoadedConfig, result, feedback);
      handler.mounted('sdb#1', stick('sdb'));
      await handler.idle();
      assert.deepEqual(phases.at(-1), want);
    }
  });

  it('issue 17: a stick with two partitions: the second is searched after the first found nothing, not after an install', async () => {
    const { lines, logger } = recorder();
    const searched: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const nothing: UpdateResult = { kind: 'nothing', decision: { outcome: 'nothing', selected: null, summary: 'no artifact', mediaReasons: [], running: { artifactName: null, version: null }, candidates: [] } } as unknown as UpdateResult;
    const handler = new StickHandler(logger, NO_REPORT, async (request) => {
      searched.push(request.paths[0] ?? '');
      await held;
      return searched.length === 1 ? nothing : installed();
    });
    const second = { ...stick('sdb'), device: '/dev/sdb2', mountPoint: '/run/usb-updater/media/sdb2' };
    handler.mounted('sdb#1', stick('sdb'));
    handler.mounted('sdb#1', second);
    handler.mounted('sdb#1', { ...second, device: '/dev/sdb3', mountPoint: '/run/usb-updater/media/sdb3' });
    release();
    await handler.idle();
    assert.deepEqual(searched, ['/run/usb-updater/media/sdb1', '/run/usb-updater/media/sdb2'], 'the third partition is not searched after an install');
    assert.deepEqual(lines.map(([, message]) => message), [
      'another partition of the stick: searched after the one being handled',
      'another partition of the stick: searched after the one being handled',
      'usb-updater: nothing to install',
      'usb-updater: installed release-2.0',
      'partition not searched: another partition of the stick was handled',
    ]);
    handler.mounted('sdc#1', stick('sdc'));
    await handler.idle();
    assert.equal(searched.length, 3, 'free again afterwards');
  });

  it('issue 17: a USB disk the device cannot read: failure feedback with MEDIA_UNREADABLE and the USB identity logged; only logged while a stick is handled', async () => {
    const { lines, logger } = recorder();
    const phases: [Phase, PhaseInfo | undefined][] = [];
    const feedback: Feedback = { ...NO_FEEDBACK, phase: (phase, info) => void phases.push([phase, info]) };
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const handler = new StickHandler(logger, NO_REPORT, async () => {
      await held;
      return installed();
    }, () => feedback);
    const disk = { disk: '/sys/block/sdc', device: '/dev/sdc', usb: { vendorId: '0781', productId: '5567', serial: 'S2' }, volumes: [{ device: '/dev/sdc' }] };
    handler.unreadable(disk, 'no-filesystem', '/dev/sdc has no partition table and no filesystem');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(phases, [['failure', { error: { code: 'MEDIA_UNREADABLE', message: '/dev/sdc has no partition table and no filesystem' } }]]);
    const [level, message, fields] = lines[0] ?? [];
    assert.equal(level, 'error');
    assert.equal(message, 'usb-updater: failed MEDIA_UNREADABLE');
    assert.deepEqual(fields, { stage: 'mount', reason: 'no-filesystem', device: '/dev/sdc', usb: disk.usb, partitionTable: null, volumes: ['/dev/sdc:-'], code: 'MEDIA_UNREADABLE', error: '/dev/sdc has no partition table and no filesystem' });
    handler.mounted('sdb#1', stick('sdb'));
    handler.unreadable(disk, 'no-filesystem', 'again');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lines.at(-1)?.[1], 'USB disk without a mounted filesystem; not shown: another stick is being handled');
    assert.ok(!phases.some(([, info]) => info?.error?.message === 'again'), 'not shown');
    release();
    await handler.idle();
  });
});
