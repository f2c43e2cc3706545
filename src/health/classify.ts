// What happened after the reboot, decided from facts alone: the bootloader environment, the
// partition mounted on `/` and what the journal recorded at install time. Pure. Every decision that
// could make an update permanent (a commit) requires both facts that say "this is the trial boot of
// the new image": running the new partition AND the bootloader still counting the trial
// (`upgrade_available=1`). Anything else is never committed.

/** The bootloader's view of this boot, read fresh before every decision. */
export interface BootFacts {
  /** The U-Boot environment (fw_printenv), null where the device has none. */
  env: Readonly<Record<string, string>> | null;
  /** The partition mounted on `/`, as the bootloader numbers it (`mender_boot_part`); null when unknown. */
  root: string | null;
}

/** What the journal knows of the deployment. */
export interface DeploymentFacts {
  /** The partition that ran when the install started (the known-good one); null when unknown. */
  partitionBefore: string | null;
  /** The partition the install switched the bootloader to; null for an update module or when unknown. */
  partitionAfter: string | null;
  /** Whether the client asked for a reboot (a rootfs image); false for an update module that needs none. */
  rebootRequired: boolean;
}

/**
 * The cases of a boot after an install. Persisted in the journal and shown by `status`: append only.
 * - trial-boot: the new partition runs and the bootloader counts it as a trial: check, then commit or roll back.
 * - bootloader-fell-back: the old partition runs and nothing is pending: the new image never
 *   proved itself (it did not boot, or not often enough): roll back the client's state, never commit.
 * - no-reboot-update: an update module installed without a reboot: check on this boot.
 * - unexpected: facts that fit no case (the new partition runs but nothing is pending any more, the
 *   old one runs with a trial pending…): never commit.
 */
export const CLASSIFICATIONS = ['trial-boot', 'bootloader-fell-back', 'no-reboot-update', 'unexpected'] as const;
export type BootClassification = (typeof CLASSIFICATIONS)[number];

function trialPending(facts: BootFacts): boolean {
  return facts.env?.['upgrade_available'] === '1';
}

/** Whether `/` is the old partition, the new one, or neither can be told. */
export function runningImage(deployment: DeploymentFacts, facts: BootFacts): 'old' | 'new' | 'unknown' {
  if (facts.root === null) return 'unknown';
  if (deployment.partitionBefore !== null) return facts.root === deployment.partitionBefore ? 'old' : 'new';
  if (deployment.partitionAfter !== null) return facts.root === deployment.partitionAfter ? 'new' : 'old';
  return 'unknown';
}

/** The case this boot is, for a deployment whose install completed. */
export function classifyBoot(deployment: DeploymentFacts, facts: BootFacts): BootClassification {
  if (!deployment.rebootRequired) return 'no-reboot-update';
  const image = runningImage(deployment, facts);
  const pending = trialPending(facts);
  if (image === 'new' && pending) return 'trial-boot';
  if (image === 'old' && !pending) return 'bootloader-fell-back';
  return 'unexpected';
}

/** A sentence for the log and `status`, naming the facts that led to the case. */
export function describeBoot(classification: BootClassification, deployment: DeploymentFacts, facts: BootFacts): string {
  const env = facts.env === null ? 'no bootloader environment' : `upgrade_available=${facts.env['upgrade_available'] ?? '(unset)'} mender_boot_part=${facts.env['mender_boot_part'] ?? '(unset)'}`;
  const where = `running partition ${facts.root ?? '(unknown)'}, installed from ${deployment.partitionBefore ?? '(unknown)'} to ${deployment.partitionAfter ?? '(unknown)'}; ${env}`;
  switch (classification) {
    case 'trial-boot':
      return `trial boot of the new image (${where})`;
    case 'bootloader-fell-back':
      return `the bootloader fell back to the old image (${where})`;
    case 'no-reboot-update':
      return 'an update that needed no reboot: checking it on this boot';
    case 'unexpected':
      return `not the trial boot of the new image (${where})`;
  }
}

/**
 * Where a rollback left the device (read after `mender rollback`): done, done but the new image
 * still runs until a reboot, or failed (still pending, or the bootloader still boots the new image).
 */
export function afterRollback(deployment: DeploymentFacts, facts: BootFacts): 'rolled-back' | 'rollback-needs-reboot' | 'rollback-failed' {
  if (facts.env === null) return 'rolled-back';
  if (trialPending(facts)) return 'rollback-failed';
  const bootPart = facts.env['mender_boot_part'] ?? null;
  if (deployment.partitionBefore !== null && bootPart !== deployment.partitionBefore) return 'rollback-failed';
  return runningImage(deployment, facts) === 'new' ? 'rollback-needs-reboot' : 'rolled-back';
}

/**
 * Whether a `mender commit` that answered "nothing to commit" (2) found the work already done: the
 * new image runs and nothing is pending (a commit completed before a power cut hid its answer).
 */
export function alreadyCommitted(deployment: DeploymentFacts, facts: BootFacts): boolean {
  return runningImage(deployment, facts) === 'new' && !trialPending(facts);
}

/** Whether the device runs its old image with nothing pending (after a rollback reboot). */
export function backOnOldImage(deployment: DeploymentFacts, facts: BootFacts): boolean {
  if (facts.env === null) return true;
  return !trialPending(facts) && runningImage(deployment, facts) !== 'new';
}
