// Hook commands as real processes: the environment they get, a hook that hangs (killed at its
// timeout with its children, phase() back at once, the next phase still delivered), a hook that
// fails or cannot start (logged, nothing else happens), and close() cutting a long run short.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createFeedback, type Feedback } from '../../../src/feedback/index.js';
import type { Config } from '../../../src/policy/index.js';
import { realFeedbackSystem } from '../../../src/system/feedback/feedback-system.js';
import { recordingLog } from '../../support/fakes/fake-feedback-system.js';

const root = mkdtempSync(join(tmpdir(), 'usb-updater-test-hooks-'));
after(() => rmSync(root, { recursive: true, force: true }));

type Hooks = Config['feedback']['hooks'];
const withHooks = (hooks: Hooks, log = recordingLog()): Feedback => createFeedback({ sysfs_root: join(root, 'no-leds'), leds: [], hooks, console: null }, realFeedbackSystem, log);

/** A hook that appends its USB_UPDATER_* variables, one run a paragraph, to `file`. */
const recorder = (file: string): string[] => ['sh', '-c', `{ env | grep '^USB_UPDATER_' | sort; echo; } >> '${file}'`];

function runs(file: string): Record<string, string>[] {
  return readFileSync(file, 'utf8')
    .split('\n\n')
    .filter((run) => run.trim() !== '')
    .map((run) => Object.fromEntries(run.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])));
}

/** Running or sleeping: a killed process may stay a zombie until its new parent reaps it. */
const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
};

describe('feedback hooks', () => {
  it('run with the phase, artifact, progress, deployment and error in the environment, for their phases only', async () => {
    const all = join(root, 'all.env');
    const failures = join(root, 'failures.env');
    const feedback = withHooks([
      { command: recorder(all), timeout: 10_000 },
      { command: recorder(failures), phases: ['failure'], timeout: 10_000 },
    ]);
    feedback.phase('installing', { deploymentId: 'dep-1', artifact: 'release-2.0', percent: 42 });
    feedback.phase('failure', { deploymentId: 'dep-1', artifact: 'release-2.0', error: { code: 'INSTALL_FAILED', message: 'mender install exited 1: no space' } });
    await feedback.close(10_000);
    const failure = {
      USB_UPDATER_PHASE: 'failure',
      USB_UPDATER_ARTIFACT: 'release-2.0',
      USB_UPDATER_PROGRESS: '',
      USB_UPDATER_DEPLOYMENT: 'dep-1',
      USB_UPDATER_REBOOT: '',
      USB_UPDATER_ERROR_CODE: 'INSTALL_FAILED',
      USB_UPDATER_ERROR: 'mender install exited 1: no space',
    };
    assert.deepEqual(runs(all), [
      { ...failure, USB_UPDATER_PHASE: 'installing', USB_UPDATER_PROGRESS: '42', USB_UPDATER_ERROR_CODE: '', USB_UPDATER_ERROR: '' },
      failure,
    ]);
    assert.deepEqual(runs(failures), [failure]);
  });

  it('a hook that hangs is killed at its timeout, children included; phase() returns at once and the next phase still runs', async () => {
    const record = join(root, 'hang.log');
    const child = join(root, 'hang.child');
    const log = recordingLog();
    // At `checking` it leaves a grandchild (sleep) and hangs; at any other phase it records and exits.
    const script = `echo "$USB_UPDATER_PHASE" >> '${record}'; if [ "$USB_UPDATER_PHASE" = checking ]; then sleep 60 & echo $! > '${child}'; wait; fi`;
    const feedback = withHooks([{ command: ['sh', '-c', script], timeout: 300 }], log);
    const returned = [feedback.phase('checking'), feedback.phase('nothing')];
    // Back, with nothing to await, while the first run still hangs: it is only killed later.
    assert.deepEqual(returned, [undefined, undefined]);
    assert.deepEqual(log.lines.filter((l) => l.level === 'warn'), []);
    await feedback.close(10_000);
    assert.deepEqual(readFileSync(record, 'utf8').split('\n').filter(Boolean), ['checking', 'nothing']);
    // SIGKILL reaches the grandchild a moment after the hook's own exit is reported.
    const pid = Number(readFileSync(child, 'utf8'));
    for (let tries = 0; tries < 100 && isAlive(pid); tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(isAlive(pid), false, 'the hook\'s own child was killed with it');
    assert.deepEqual(log.lines.filter((l) => l.level === 'warn').map((l) => [l.message, l.fields['phase'], l.fields['timeoutMs']]), [['feedback hook timed out and was killed', 'checking', 300]]);
  });

  it('a hook that fails or cannot start is logged, and the other hooks and phases go on', async () => {
    const record = join(root, 'after-failure.env');
    const log = recordingLog();
    const feedback = withHooks(
      [
        { command: ['sh', '-c', 'echo "display offline" >&2; exit 1'], timeout: 10_000 },
        { command: [join(root, 'no-such-hook')], timeout: 10_000 },
        { command: recorder(record), timeout: 10_000 },
      ],
      log,
    );
    feedback.phase('stick-seen');
    feedback.phase('checking');
    await feedback.close(10_000);
    assert.deepEqual(runs(record).map((run) => run['USB_UPDATER_PHASE']), ['stick-seen', 'checking']);
    const failed = log.lines.filter((l) => l.message === 'feedback hook failed');
    assert.deepEqual(failed.map((l) => [l.fields['phase'], l.fields['exitCode'], l.fields['stderr']]), [
      ['stick-seen', 1, 'display offline'],
      ['checking', 1, 'display offline'],
    ]);
    const notStarted = log.lines.filter((l) => l.message === 'feedback hook could not be started');
    assert.equal(notStarted.length, 2);
    assert.match(String(notStarted[0]?.fields['error']), /ENOENT/);
  });

  it('close() kills a run still going past its limit, and later phases run nothing', async () => {
    const record = join(root, 'closed.log');
    const log = recordingLog();
    const feedback = withHooks([{ command: ['sh', '-c', `echo "$USB_UPDATER_PHASE" >> '${record}'; exec sleep 60`], timeout: 60_000 }], log);
    feedback.phase('installing', { percent: 0 });
    await feedback.close(200);
    feedback.phase('failure');
    await feedback.close(200);
    assert.deepEqual(readFileSync(record, 'utf8').split('\n').filter(Boolean), ['installing']);
    assert.deepEqual(log.lines.filter((l) => l.level === 'warn').map((l) => l.message), ['feedback hook timed out and was killed']);
  });
});
