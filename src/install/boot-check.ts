// The boot-time check: resumes the deployment the journal holds (if any), classifies this boot,
// runs the health checks on a trial boot, then commits or rolls back. What `usb-updater health`
// runs at every boot and the daemon at start, before it serves sticks.

import { createFeedback, type Feedback } from '../feedback/index.js';
import type { Logger } from '../log/index.js';
import type { LoadedConfig } from '../policy/index.js';
import { realFeedbackSystem } from '../system/feedback/feedback-system.js';
import { causeOf, isTerminal, type JournalRecord, type RecordedError, type TerminalState } from '../state/index.js';
import { finishDeps, openState, withDeploymentLock } from './deployment-deps.js';
import { recoverAtStartup, type FinishDeps, type FinishResult, type StartupResult } from './finish.js';

/** The boot-time recovery under the deployment lock. */
export function runBootCheck(loaded: LoadedConfig, log: FinishDeps['log'], onChecking?: FinishDeps['onChecking']): Promise<StartupResult> {
  return withDeploymentLock(loaded.config.state.dir, ({ journal }) => recoverAtStartup(journal, finishDeps(loaded, log, onChecking)), log);
}

const OUTCOME_OF: Record<TerminalState, 'committed' | 'rolled-back' | 'failed'> = { Committed: 'committed', RolledBack: 'rolled-back', Failed: 'failed' };

/**
 * The deployment that this boot's check finished, when another process ran that check: the shipped
 * units run usb-updater-health.service before the daemon, so the daemon's own check finds nothing
 * pending while the outcome still belongs on the stick the update came from (found in the virtual
 * device). It is the journal's record when that is terminal, was installed on an earlier boot (so it
 * was finished by a boot-time check, not by a failed install) and changed last on this boot.
 */
export async function finishedOnThisBoot(dir: string): Promise<FinishResult | null> {
  const { deps, journal } = await openState(dir);
  const read = await journal.read();
  if (read.status !== 'ok') return null;
  const record = read.journal;
  if (!isTerminal(record.state) || record.bootIdAtInstall === deps.bootId || record.history.at(-1)?.bootId !== deps.bootId) return null;
  return { status: OUTCOME_OF[record.state], journal: record };
}

/**
 * What went wrong, for the device and the stick: the journal's error, else the cause of the
 * rollback in words (an install cut short records no error of its own).
 */
function outcomeError(journal: JournalRecord): RecordedError {
  if (journal.lastError !== null) return journal.lastError;
  if (causeOf(journal) === 'interrupted') return { code: 'INSTALL_FAILED', message: 'the install was cut short (a power cut, or the service stopped) and rolled back; the same stick installs it again' };
  return { code: 'HEALTH_CHECK_FAILED', message: 'the update was not kept' };
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
  const error = outcomeError(result.journal);
  if (result.status === 'committed') feedback.phase('success', info);
  else if (result.status === 'awaiting-reboot' && result.journal.state === 'ArtifactReboot') return;
  else if (result.status === 'awaiting-reboot') feedback.phase('rebooting', { ...info, reboot: result.rebooting ? 'now' : 'manual' });
  else feedback.phase('failure', { ...info, error });
}

/** The boot-time check on its own (usb-updater health): its phases shown as the config's feedback section says. */
export async function checkBoot(loaded: LoadedConfig, log: (message: string) => void): Promise<StartupResult> {
  const logger: Logger = { info: log, warn: log, error: log };
  const feedback = createFeedback(loaded.config.feedback, realFeedbackSystem, logger);
  try {
    const result = await runBootCheck(loaded, log, (journal) => feedback.phase('verifying', { deploymentId: journal.deploymentId, artifact: journal.artifactName }));
    showBootCheck(result, feedback);
    return result;
  } finally {
    // Hooks get a moment to show the outcome; one still running then is cut short.
    await feedback.close(2000);
  }
}
