// One deployment, from an accepted artifact to the reboot: the guards, then the journal written
// before every side effect, the exact checked bytes streamed into the client, and the reboot as
// configured. The caller holds the deployment lock throughout. What happens after the reboot (the
// health check, commit or rollback) is the health check's.

import type { StickAudit } from '../media/index.js';
import { UpdaterError, isUpdaterError } from '../errors/index.js';
import type { ReadFile } from '../media/index.js';
import type { BootFacts } from '../health/index.js';
import type { Deployment, Journal, JournalRecord } from '../state/index.js';
import { exactBytes } from './exact-bytes.js';
import type { MenderClient } from './mender-client.js';
import type { RebootVerdict } from './reboot-verdict.js';

export interface DeployDeps {
  client: MenderClient;
  journal: Journal;
  /** The bootloader environment (null where there is none) and the partition on `/`. */
  readBootFacts(): Promise<BootFacts>;
  /** Asks the system to reboot and says how that went (src/install/reboot-verdict.ts); never throws. */
  reboot(): Promise<RebootVerdict>;
  /**
   * The stop signal this process received (the daemon's SIGTERM: systemd stopping the service, at a
   * shutdown or by hand), or null. A stop cuts the client short along with us.
   */
  stopping?(): NodeJS.Signals | null;
  /** Waits (reboot.delay); injected so tests need not. */
  sleep(ms: number): Promise<void>;
  log(message: string): void;
}

export interface RebootPolicy {
  mode: 'immediate' | 'delay' | 'on-removal' | 'never';
  delay: number;
}

export interface DeployRequest {
  file: ReadFile;
  artifactName: string;
  /** The SHA-256 of the artifact's manifest, which names its whole content (ArtifactInfo.manifest_sha256). */
  manifestSha256: string;
  /** The stick's identity for the journal and the ledger. */
  stick: StickAudit;
  reboot: RebootPolicy;
  onProgress?: (bytes: number, total: number | null) => void;
  /** Called once the deployment is in the journal (it has its id), before any byte is streamed. */
  onStarted?: (record: JournalRecord) => void;
  /** Called just before the reboot is waited for (reboot.delay) or requested: feedback's last chance. */
  onRebooting?: () => void;
  signal?: AbortSignal;
}

export type DeployOutcome =
  /**
   * Installed; `rebooting` when the reboot was requested. With mode on-removal, `rebootLater` asks
   * for it (the caller calls it once the stick is gone); with never, it is left to someone else.
   */
  | { status: 'installed'; journal: JournalRecord; deployment: Deployment; rebooting: boolean; rebootLater?: () => Promise<DeployOutcome> }
  /** The install failed; nothing is pending. */
  | { status: 'failed'; journal: JournalRecord; error: UpdaterError };

// 1 MiB reads, as large as the FIFO writes (src/system/install/fifo-input.ts): measured in the simulator, our
// CPU for the stream fell from 0.77 s at 128 KiB to 0.46 s (fewer reads and chunk hand-overs); the
// buffers live outside the JS heap.
const INSTALL_CHUNK = 1024 * 1024;

/**
 * Refuses to start while the bootloader says a trial boot is pending, whatever our journal says.
 * Returns the partition running now: the known-good one the health check falls back to.
 */
async function assertBootloaderIdle(deps: DeployDeps): Promise<string | null> {
  const { env, root } = await deps.readBootFacts();
  if (env?.['upgrade_available'] === '1') {
    throw new UpdaterError('INSTALL_PENDING_UPDATE', 'the bootloader has an update pending (upgrade_available=1): commit or roll it back first; installing now would overwrite a partition in use');
  }
  return root ?? env?.['mender_boot_part'] ?? null;
}

async function fail(deployment: Deployment, error: UpdaterError): Promise<DeployOutcome> {
  await deployment.advance('install-failed', { lastError: { code: error.code, message: error.message } });
  // ArtifactFailure: the client's own failure states already ran (it exits 1 only after them), so
  // nothing is pending; record the outcome.
  const journal = await deployment.advance('failure-recorded');
  return { status: 'failed', journal, error };
}

async function rebootAsConfigured(deployment: Deployment, request: DeployRequest, deps: DeployDeps): Promise<DeployOutcome> {
  if (request.reboot.mode === 'never') {
    deps.log(`installed ${request.artifactName}; reboot to start it (reboot.mode is never)`);
    return { status: 'installed', journal: deployment.record, deployment, rebooting: false };
  }
  if (request.reboot.mode === 'on-removal') {
    deps.log(`installed ${request.artifactName}; rebooting once the stick is removed`);
    return { status: 'installed', journal: deployment.record, deployment, rebooting: false, rebootLater: () => requestReboot(deployment, request, deps) };
  }
  if (request.reboot.mode === 'delay') {
    request.onRebooting?.();
    deps.log(`installed ${request.artifactName}; rebooting in ${request.reboot.delay / 1000} s`);
    await deps.sleep(request.reboot.delay);
    return requestReboot(deployment, request, deps, true);
  }
  return requestReboot(deployment, request, deps);
}

/**
 * Runs the reboot command. One that fails while the system keeps running rolls the install back
 * rather than leave it pending. Once the system is shutting down nothing is rolled back (issue 18:
 * the rollback raced the shutdown and undid every update): the update stays pending and the next
 * boot's check decides, as after a power cut at this moment.
 */
async function requestReboot(deployment: Deployment, request: DeployRequest, deps: DeployDeps, announced = false): Promise<DeployOutcome> {
  if (!announced) request.onRebooting?.();
  const verdict = await deps.reboot();
  if (verdict.status === 'under-way') {
    deps.log(`installed ${request.artifactName}; the reboot is under way (${verdict.reason}); the next boot's health check decides`);
    return { status: 'installed', journal: deployment.record, deployment, rebooting: true };
  }
  if (verdict.status === 'failed') {
    const message = verdict.reason;
    deps.log(`the reboot could not be requested: ${message}; rolling the install back`);
    await deployment.advance('reboot-failed', { lastError: { code: 'REBOOT_FAILED', message } });
    // ArtifactRollback before any reboot: the client switches the bootloader back.
    const result = await deps.client.rollback();
    if (result.code === 0) return { status: 'failed', journal: await deployment.advance('rolled-back'), error: new UpdaterError('INSTALL_FAILED', `reboot failed: ${message}`) };
    await deployment.advance('rollback-failed', { lastError: { code: 'ROLLBACK_FAILED', message: result.output.slice(-500) } });
    return { status: 'failed', journal: await deployment.advance('failure-recorded'), error: new UpdaterError('INSTALL_FAILED', `reboot failed (${message}) and so did the rollback`) };
  }
  deps.log(`installed ${request.artifactName}; rebooting`);
  return { status: 'installed', journal: deployment.record, deployment, rebooting: true };
}

/** Installs `request.file` through the client. The caller holds the deployment lock. */
export async function deploy(request: DeployRequest, deps: DeployDeps): Promise<DeployOutcome> {
  const partitionBefore = await assertBootloaderIdle(deps);
  const deployment = await deps.journal.begin({ artifactName: request.artifactName, sourcePath: request.file.path, stick: request.stick, manifestSha256: request.manifestSha256, size: request.file.size, partitionBefore });
  request.onStarted?.(deployment.record);
  const total = request.file.size;
  const { stream, totals, verify } = exactBytes(request.file, { chunkBytes: INSTALL_CHUNK, ...(request.onProgress ? { onProgress: (bytes) => request.onProgress?.(bytes, total) } : {}) });
  let installed;
  try {
    // The checked header bytes are read again and compared before the client is even started.
    await verify();
    installed = await deps.client.install(stream, request.signal);
  } catch (err) {
    if (!isUpdaterError(err)) throw err;
    const stop = deps.stopping?.() ?? null;
    if (stop !== null) {
      // Stopped with the service (its whole cgroup): the client's failure says nothing about the
      // artifact. As after a power cut at this moment, the journal stays at ArtifactInstall and the
      // next start rolls the install back as interrupted, which is not held against the artifact.
      deps.log(`the install of ${request.artifactName} was cut short: this process received ${stop}; the next start rolls it back`);
      return { status: 'failed', journal: deployment.record, error: new UpdaterError('INSTALL_FAILED', `${err.message} (cut short: the service received ${stop})`) };
    }
    return fail(deployment, err);
  }
  const patch = { size: totals.bytes };
  if (!installed.rebootRequired) {
    // An update module that needs no reboot: the health check runs on this boot.
    return { status: 'installed', journal: await deployment.advance('installed-no-reboot', patch), deployment, rebooting: false };
  }
  // The partition the client switched the bootloader to: the trial boot must run it.
  const after = await deps.readBootFacts();
  await deployment.advance('installed', { ...patch, partitionAfter: after.env?.['mender_boot_part'] ?? null });
  return rebootAsConfigured(deployment, request, deps);
}
