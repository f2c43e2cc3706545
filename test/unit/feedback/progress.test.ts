// Progress on a hand-driven clock: each channel gets at most one update per whole percent and two a
// second, the last percent held back still arrives, another phase drops a stale one; and a hook
// still running when progress pours in finds only the newest percent waiting, never a backlog.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFeedback, PROGRESS_INTERVAL_MS, type Phase, type PhaseInfo } from '../../../src/feedback/index.js';
import { progressGate } from '../../../src/feedback/progress-gate.js';
import { fakeFeedbackSystem, recordingLog } from '../../support/fakes/fake-feedback-system.js';

describe('progress gate', () => {
  it('passes a percent at most once, at most twice a second, and delivers the last one held back', () => {
    const system = fakeFeedbackSystem();
    const seen: [Phase, number | undefined][] = [];
    const offer = progressGate(system, (phase, info) => void seen.push([phase, info.percent]));
    offer('installing', { percent: 0 });
    offer('installing', { percent: 0 });
    offer('installing', { percent: 1 });
    offer('installing', { percent: 2 });
    assert.deepEqual(seen, [['installing', 0]]);
    system.advance(PROGRESS_INTERVAL_MS);
    assert.deepEqual(seen, [['installing', 0], ['installing', 2]], 'the newest held back, once its window ended');
    offer('installing', { percent: 2 });
    system.advance(PROGRESS_INTERVAL_MS);
    assert.equal(seen.length, 2, 'the same percent again is nothing new');
    offer('installing', { percent: 3 });
    assert.deepEqual(seen.at(-1), ['installing', 3], 'a window had passed: at once');
    offer('installing', { percent: 4 });
    offer('rebooting', {});
    system.advance(PROGRESS_INTERVAL_MS);
    assert.deepEqual(seen.slice(3), [['rebooting', undefined]], 'a new phase at once; the held percent is dropped');
  });
});

describe('progress into hooks', () => {
  it('a hook still running finds the newest percent waiting, not every one', async () => {
    const system = fakeFeedbackSystem();
    const feedback = createFeedback({ sysfs_root: '/nonexistent', leds: [], hooks: [{ command: ['panel'], timeout: 10_000 }], console: null }, system, recordingLog());
    const info = (percent: number): PhaseInfo => ({ deploymentId: 'dep-1', artifact: 'release-2.0', percent });
    feedback.phase('checking');
    for (let percent = 0; percent <= 99; percent += 1) {
      feedback.phase('installing', info(percent));
      system.advance(PROGRESS_INTERVAL_MS);
    }
    feedback.phase('rebooting', { reboot: 'now' });
    // Still in the first run (checking): a percent and the reboot wait, nothing else.
    const finish = async (): Promise<string> => {
      const run = system.runs.at(-1);
      run?.finish();
      await new Promise((resolve) => setImmediate(resolve));
      return `${run?.env['USB_UPDATER_PHASE']} ${run?.env['USB_UPDATER_PROGRESS']}`;
    };
    const phases = [await finish(), await finish(), await finish()];
    assert.deepEqual(phases, ['checking ', 'installing 99', 'rebooting ']);
    assert.equal(system.runs.length, 3);
    await feedback.close();
  });

  it('the waiting list of a hook stays bounded whatever arrives while it runs', async () => {
    const system = fakeFeedbackSystem();
    const feedback = createFeedback({ sysfs_root: '/nonexistent', leds: [], hooks: [{ command: ['panel'], timeout: 10_000 }], console: null }, system, recordingLog());
    feedback.phase('checking');
    // Phases that alternate cannot merge: a thousand of them while the first run holds.
    for (let i = 0; i < 1000; i += 1) feedback.phase(i % 2 === 0 ? 'stick-seen' : 'nothing');
    let runs = 0;
    while (system.runs.length > runs) {
      runs = system.runs.length;
      system.runs.at(-1)?.finish();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(runs <= 9, `${runs} runs: the first and at most one per phase waiting`);
    assert.equal(system.runs.at(-1)?.env['USB_UPDATER_PHASE'], 'nothing', 'the newest is kept');
  });
});
