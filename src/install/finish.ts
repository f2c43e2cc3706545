// Finishing a deployment after its install: the side effect of every state from the reboot on
// (classify the boot, run the health checks, commit or roll back, reboot back, record a failure),
// driven by the state table from whatever state the journal holds. Each state's effect starts by
// reading the facts again (bootloader environment, running partition), so that running it twice,
// after a power cut at any point, gives the same decision. The journal is advanced (persisted)
// before the next state's effect runs. The caller holds the deployment lock.

import { UpdaterError, isErrorCode } from '../errors/index.js';
import { afterRollback, alreadyCommitted, backOnOldImage, classifyBoot, describeBoot, type BootFacts, type DeploymentFacts } from '../health/index.js';
import { ON_ERROR, isTerminal, type Deployment, type Event, type HealthSummary, type Journal, type JournalPatch, type JournalRecord, type PendingState, type RecordedError } from '../state/index.js';
import type { MenderClient, VerbResult } from './mender-client.js';

export interface FinishDeps {
  /** The client, detected on first use: a boot with nothing pending never needs it. */
  client(): Promise<MenderClient>;
  /** The bootloader environment and the partition on `/`, read fresh. */
  readBootFacts(): Promise<BootFacts>;
  /** Runs the configured health checks; bounded by their own deadline. */
  checkHealth(): Promise<HealthSummary>;
  /** Told when the checks of a trial boot (or of an update without reboot) start: the device shows it. */
  onChecking?: (journal: JournalRecord) => void;
  /** Asks the system to reboot (resolves once asked); null when reboots are not ours (reboot.mode never). */
  reboot: (() => Promise<void>) | null;
  log(message: string, fields?: Record<string, unknown>): void;
}

export type FinishResult =
  | { status: 'committed' | 'rolled-back' | 'failed'; journal: JournalRecord }
  /** The deployment waits for a reboot: requested (`rebooting`), or left to someone else. */
  | { status: 'awaiting-reboot'; journal: JournalRecord; rebooting: boolean; reason: string };

export type StartupResult =
  | FinishResult
  /** Nothing of ours pending. `foreignUpdate`: the bootloader has a trial pending that no journal of ours started. */
  | { status: 'nothing-pending'; foreignUpdate: boolean }
  /** The journal could not be read: the client's pending update (if any) was rolled back and the file set aside. */
  | { status: 'journal-set-aside'; path: string; rolledBack: boolean; reason: string };

/** What a state's effect ended in: the event to apply, or a stop until the next reboot. */
type Step = { event: Event; patch?: JournalPatch } | { stop: string; rebooting: boolean };

/** What the journal tells of the deployment, for the classification. */
export function deploymentFacts(journal: JournalRecord): DeploymentFacts {
  return {
    partitionBefore: journal.partitionBefore,
    partitionAfter: journal.partitionAfter,
    // An install whose end we never saw (interrupted) counts as a rootfs one: the facts then decide.
    rebootRequired: !journal.history.some((t) => t.event === 'installed-no-reboot'),
  };
}

const clientError = (verb: 'commit' | 'rollback', result: VerbResult): JournalPatch => ({ lastError: { code: verb === 'commit' ? 'COMMIT_FAILED' : 'ROLLBACK_FAILED', message: `mender ${verb} exited ${String(result.code)}: ${result.output.trim().slice(-500)}` } });

/** ArtifactVerifyReboot: which boot this is, then the health checks when it is the trial. */
async function verify(journal: JournalRecord, deps: FinishDeps): Promise<Step> {
  const deployment = deploymentFacts(journal);
  const facts = await deps.readBootFacts();
  const classification = classifyBoot(deployment, facts);
  const bootFacts = describeBoot(classification, deployment, facts);
  deps.log(`boot classified: ${bootFacts}`, { classification });
  const recorded: JournalPatch = { classification, bootFacts };
  if (classification === 'bootloader-fell-back') return { event: 'bootloader-fell-back', patch: recorded };
  if (classification === 'unexpected') {
    // Never commit what is not the trial boot of the new image; roll back whatever is pending.
    return { event: 'checks-failed', patch: { ...recorded, lastError: { code: 'UNEXPECTED_BOOT', message: bootFacts } } };
  }
  deps.onChecking?.(journal);
  const health = await deps.checkHealth();
  for (const warning of health.warnings) deps.log(`wanted health check failed (not fatal): ${warning}`);
  if (health.passed) return { event: 'checks-passed', patch: { ...recorded, health } };
  const required = health.results.filter((r) => r.required && !r.passed).map((r) => `${r.name}: ${r.message}`).join('; ');
  const code = health.deadlineExceeded ? 'HEALTH_TIMEOUT' : 'HEALTH_CHECK_FAILED';
  return { event: 'checks-failed', patch: { ...recorded, health, lastError: { code, message: required || 'the health checks did not pass' } } };
}

/** ArtifactCommit: never after a fallback; "nothing to commit" counts only when the facts say it is done. */
async function commit(journal: JournalRecord, deps: FinishDeps): Promise<Step> {
  const deployment = deploymentFacts(journal);
  if (deployment.rebootRequired) {
    const facts = await deps.readBootFacts();
    if (classifyBoot(deployment, facts) === 'bootloader-fell-back') return { event: 'bootloader-fell-back' };
  }
  const result = await (await deps.client()).commit();
  if (result.code === 0) return { event: 'committed' };
  if (result.code === 2) {
    // A commit that completed before a power cut hid its answer: the client has nothing pending.
    const done = deployment.rebootRequired ? alreadyCommitted(deployment, await deps.readBootFacts()) : (await (await deps.client()).showArtifact()) === journal.artifactName;
    if (done) return { event: 'committed' };
  }
  return { event: 'commit-failed', patch: clientError('commit', result) };
}

/** ArtifactRollback: `mender rollback` (idempotent), then where it left the device. */
async function rollback(journal: JournalRecord, deps: FinishDeps): Promise<Step> {
  const result = await (await deps.client()).rollback();
  if (result.code !== 0 && result.code !== 2) return { event: 'rollback-failed', patch: clientError('rollback', result) };
  const event = afterRollback(deploymentFacts(journal), await deps.readBootFacts());
  return event === 'rollback-failed' ? { event, patch: { lastError: { code: 'ROLLBACK_FAILED', message: 'after mender rollback the bootloader still boots the new image or has an update pending' } } } : { event };
}

/** ArtifactRollbackReboot: back into the old image. */
async function rollbackReboot(journal: JournalRecord, deps: FinishDeps): Promise<Step> {
  if (deps.reboot === null) {
    deps.log(`rolled ${journal.artifactName} back; reboot to return to the old image (reboot.mode is never)`);
    return { stop: 'rolled back: the old image starts at the next reboot (reboot.mode is never)', rebooting: false };
  }
  await deps.reboot();
  deps.log(`rolled ${journal.artifactName} back; rebooting into the old image`);
  return { stop: 'rebooting into the old image', rebooting: true };
}

/** After a rollback outside the normal path: when the bootloader now points away from the image that runs, go back now. */
async function rebootIfPointedElsewhere(deps: FinishDeps): Promise<void> {
  const after = await deps.readBootFacts();
  const bootPart = after.env?.['mender_boot_part'];
  if (bootPart !== undefined && after.root !== null && after.root !== bootPart && deps.reboot !== null) await deps.reboot();
}

/**
 * ArtifactFailure: make sure nothing stays pending in the client, then record. `mender rollback`
 * runs whatever the bootloader says: only the client knows of an update module's pending install,
 * and an unreadable environment must not pass for "nothing pending"; it answers 2 when there is
 * nothing to roll back. A rollback that fails or hangs throws: the state then stays (ON_ERROR has
 * no event for it) and is tried again at the next start, rather than recorded as finished while
 * an update is still pending. When the rollback pointed the bootloader back while the failed image
 * runs, reboot into the old one.
 */
async function failure(journal: JournalRecord, deps: FinishDeps): Promise<Step> {
  // What the bootloader says goes to the log; it decides nothing (it may not even be readable).
  try {
    const facts = await deps.readBootFacts();
    deps.log(`recording the failure of ${journal.artifactName}; bootloader: upgrade_available=${facts.env?.['upgrade_available'] ?? '(none)'}, running partition ${facts.root ?? '(unknown)'}`);
  } catch (err) {
    deps.log(`recording the failure of ${journal.artifactName}; the bootloader environment cannot be read: ${(err as Error).message}`);
  }
  const result = await (await deps.client()).rollback();
  if (result.code !== 0 && result.code !== 2) {
    throw Object.assign(new Error(`an update may still be pending after the failure of ${journal.artifactName}: mender rollback ${result.code === null ? 'did not finish' : `exited ${String(result.code)}`}: ${result.output.trim().slice(-300)}`), { code: 'ROLLBACK_FAILED' });
  }
  if (result.code === 0) {
    deps.log(`an update was still pending after the failure of ${journal.artifactName}: rolled back`);
    try {
      await rebootIfPointedElsewhere(deps);
    } catch (err) {
      // The bootloader already points at the old image: any later reboot gets there.
      deps.log(`could not reboot into the old image after the failure of ${journal.artifactName}: ${(err as Error).message}`);
    }
  }
  return { event: 'failure-recorded' };
}

async function step(state: PendingState, journal: JournalRecord, deps: FinishDeps): Promise<Step> {
  switch (state) {
    case 'ArtifactInstall':
      // Only deploy() installs; a journal found here was interrupted (start-up recovery applies that).
      return { event: 'interrupted' };
    case 'ArtifactReboot':
      return { stop: 'installed: the new image starts at the next reboot', rebooting: false };
    case 'ArtifactVerifyReboot':
      return verify(journal, deps);
    case 'ArtifactCommit':
      return commit(journal, deps);
    case 'ArtifactRollback':
      return rollback(journal, deps);
    case 'ArtifactRollbackReboot':
      return rollbackReboot(journal, deps);
    case 'ArtifactVerifyRollbackReboot': {
      const back = backOnOldImage(deploymentFacts(journal), await deps.readBootFacts());
      return back ? { event: 'rolled-back' } : { event: 'rollback-failed', patch: { lastError: { code: 'ROLLBACK_FAILED', message: 'after the rollback reboot the new image still runs or is still pending' } } };
    }
    case 'ArtifactFailure':
      return failure(journal, deps);
  }
}

/** A state's effect, with its failure (an error, a hang ended by a timeout) mapped through ON_ERROR. */
async function stepOrError(state: PendingState, journal: JournalRecord, deps: FinishDeps, deployment: Deployment): Promise<Step> {
  try {
    return await step(state, journal, deps);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    // A step's own code when it is one of ours; anything else (an errno, no code at all) is STEP_FAILED.
    const lastError: RecordedError = { code: isErrorCode(code) ? code : 'STEP_FAILED', message: `${state}: ${message}` };
    deps.log(`${state} failed: ${message}`);
    const event = ON_ERROR[state];
    if (event !== null) return { event, patch: { lastError } };
    await deployment.noteError(lastError.code, lastError.message);
    return { stop: `${state} failed (${message}); it is tried again at the next start`, rebooting: false };
  }
}

// No path through the table is longer; a bound keeps a future table mistake from looping for ever.
const MAX_STEPS = 16;

/** Drives `deployment` from its current state until a terminal state or a wait for a reboot. */
export async function finishDeployment(deployment: Deployment, deps: FinishDeps): Promise<FinishResult> {
  for (let steps = 0; steps < MAX_STEPS; steps += 1) {
    const journal = deployment.record;
    const { state } = journal;
    if (isTerminal(state)) {
      const status = state === 'Committed' ? 'committed' : state === 'RolledBack' ? 'rolled-back' : 'failed';
      return { status, journal };
    }
    const result = await stepOrError(state, journal, deps, deployment);
    if ('stop' in result) return { status: 'awaiting-reboot', journal: deployment.record, rebooting: result.rebooting, reason: result.stop };
    await deployment.advance(result.event, result.patch ?? {});
    deps.log(`${journal.artifactName}: ${state} --${result.event}--> ${deployment.record.state}`, { deploymentId: journal.deploymentId });
  }
  throw new Error(`deployment ${deployment.record.deploymentId} did not settle in ${MAX_STEPS} steps (state ${deployment.record.state})`);
}

/**
 * At start-up (the boot-time `health` command, and the daemon before it serves sticks): resumes the
 * deployment the journal holds, with the recovery event of its state, and drives it on. A journal
 * that cannot be read never blocks updates for ever: if the client has an update pending it is
 * rolled back (a rollback loses at worst a good update; a commit could make an untested one
 * permanent), then the file is set aside for the audit.
 */
export async function recoverAtStartup(journal: Journal, deps: FinishDeps): Promise<StartupResult> {
  const read = await journal.read();
  if (read.status === 'unreadable') return setAside(journal, deps, read.error.message);
  const { pending } = await journal.resume();
  if (pending === null) {
    const facts = await deps.readBootFacts();
    return { status: 'nothing-pending', foreignUpdate: facts.env?.['upgrade_available'] === '1' };
  }
  const { deployment, recovery } = pending;
  if (recovery === null) return finishDeployment(deployment, deps);
  deps.log(`resuming deployment ${deployment.record.deploymentId} of ${deployment.record.artifactName} from ${deployment.record.state} (${recovery})`);
  await deployment.advance(recovery);
  return finishDeployment(deployment, deps);
}

async function setAside(journal: Journal, deps: FinishDeps, reason: string): Promise<StartupResult> {
  deps.log(`the journal cannot be read (${reason}): rolling back any pending update, then setting the journal aside`);
  const facts = await deps.readBootFacts();
  let rolledBack = false;
  if (facts.env?.['upgrade_available'] === '1') {
    const result = await (await deps.client()).rollback();
    rolledBack = result.code === 0;
    // The journal stays where it is (installs stay refused); the next start tries again.
    if (!rolledBack) throw new UpdaterError('STATE_CORRUPT', `the journal cannot be read (${reason}) and the pending update could not be rolled back: mender rollback exited ${String(result.code)}`);
  }
  const path = await journal.setAsideUnreadable();
  if (rolledBack) await rebootIfPointedElsewhere(deps);
  return { status: 'journal-set-aside', path, rolledBack, reason };
}
