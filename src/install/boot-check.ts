// `usb-updater health`: the boot-time check. Resumes the deployment the journal holds (if any):
// classifies this boot, runs the health checks on a trial boot, then commits or rolls back; also
// what the daemon runs at start before it serves sticks. Exit codes are chosen for systemd: the
// unit fails (so boot-complete.target is not reached) only when this boot is NOT a good one.

import { recoverAtStartup, type FinishDeps, type FinishResult, type StartupResult } from './index.js';
import type { LoadedConfig } from '../policy/index.js';
import { Journal, Ledger } from '../state/index.js';
import { createFeedback, type Feedback } from '../feedback/index.js';
import { acquireDeploymentLock } from '../system/state/deployment-lock.js';
import { realFeedbackSystem } from '../system/feedback/feedback-system.js';
import type { Logger } from '../log/logger.js';
import { loadPolicy } from '../cli/config.js';
import { finishDeps, stateDeps } from './deployment-deps.js';
import { HEALTH_EXIT } from '../cli/exit-codes.js';
import type { Io } from '../cli/io.js';
import { printable } from '../cli/printable.js';
import { assertTrustedFiles } from './trusted-files.js';

/** The boot-time recovery under the deployment lock. */
export async function runBootCheck(loaded: LoadedConfig, log: FinishDeps['log'], onChecking?: FinishDeps['onChecking']): Promise<StartupResult> {
  const deps = await stateDeps(loaded.config.state.dir);
  const lock = await acquireDeploymentLock(loaded.config.state.dir, { bootId: deps.bootId, now: deps.now() });
  try {
    return await recoverAtStartup(new Journal(deps, new Ledger(deps)), finishDeps(loaded, log, onChecking));
  } finally {
    await lock.release();
  }
}

export function healthExitCode(result: StartupResult): number {
  switch (result.status) {
    case 'nothing-pending':
    case 'committed':
    case 'journal-set-aside':
      return HEALTH_EXIT.OK;
    case 'rolled-back':
      return HEALTH_EXIT.ROLLED_BACK;
    case 'failed':
      return HEALTH_EXIT.FAILED;
    case 'awaiting-reboot':
      // Waiting for the install's own reboot is fine; waiting to go back to the old image is not.
      return result.journal.state === 'ArtifactReboot' ? HEALTH_EXIT.OK : HEALTH_EXIT.ROLLING_BACK;
  }
}

/** One line for people (and a stable start for grep): what this boot's check ended in. */
export function describeStartup(result: StartupResult): string {
  switch (result.status) {
    case 'nothing-pending':
      return result.foreignUpdate ? 'nothing pending of ours; the bootloader has an update pending that usb-updater did not start: left alone' : 'nothing pending';
    case 'journal-set-aside':
      return `the journal could not be read (${result.reason}); ${result.rolledBack ? 'the pending update was rolled back; ' : ''}set aside as ${result.path}`;
    case 'awaiting-reboot':
      return `${result.journal.artifactName}: ${result.reason}`;
    default:
      return `${result.status} ${result.journal.artifactName}${describeFinish(result)}`;
  }
}

function describeFinish(result: FinishResult): string {
  const j = result.journal;
  const parts = [j.classification ? `boot: ${j.classification}` : '', j.health ? `checks ${j.health.passed ? 'passed' : 'failed'} in ${(j.health.durationMs / 1000).toFixed(1)} s` : '', j.lastError && result.status !== 'committed' ? `${j.lastError.code}: ${j.lastError.message}` : ''];
  const text = parts.filter((p) => p !== '').join('; ');
  return text === '' ? '' : ` (${text})`;
}

/** What the device shows once the boot-time check is done: nothing when there was nothing to do. */
export function showBootCheck(result: StartupResult, feedback: Feedback): void {
  if (result.status === 'nothing-pending' || result.status === 'journal-set-aside') return;
  const info = { deploymentId: result.journal.deploymentId, artifact: result.journal.artifactName };
  const error = result.journal.lastError ?? { code: 'HEALTH_CHECK_FAILED', message: 'the update was not kept' };
  if (result.status === 'committed') feedback.phase('success', info);
  else if (result.status === 'awaiting-reboot' && result.journal.state === 'ArtifactReboot') return;
  else if (result.status === 'awaiting-reboot') feedback.phase('rebooting', { ...info, reboot: result.rebooting ? 'now' : 'manual' });
  else feedback.phase('failure', { ...info, error });
}

/** `usb-updater health [--config FILE] [--json]`. */
export async function healthCommand(options: { config: string; json: boolean }, io: Io): Promise<number> {
  const loaded = await loadPolicy(options.config, io);
  await assertTrustedFiles(loaded);
  const log = (message: string): void => {
    io.stderr.write(`${printable(message)}\n`);
  };
  const logger: Logger = { info: log, warn: log, error: log };
  const feedback = createFeedback(loaded.config.feedback, realFeedbackSystem, logger);
  let result: StartupResult;
  try {
    result = await runBootCheck(loaded, log, (journal) => feedback.phase('verifying', { deploymentId: journal.deploymentId, artifact: journal.artifactName }));
    showBootCheck(result, feedback);
  } finally {
    // Hooks get a moment to show the outcome; one still running then is cut short.
    await feedback.close(2000);
  }
  if (options.json) io.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else io.stdout.write(`${printable(describeStartup(result))}\n`);
  return healthExitCode(result);
}
