// One deployment, from an accepted artifact to the reboot: the guards, then the journal written
// before every side effect, the exact checked bytes streamed into the client, and the reboot as
// configured. The caller holds the deployment lock throughout. What happens after the reboot (the
// health check, commit or rollback) is the health check's.

import { UpdaterError, isUpdaterError } from '../errors/index.js';
import type { ReadFile } from '../media/index.js';
import type { Deployment, Journal, JournalRecord } from '../state/index.js';
import { exactBytes } from './exact-bytes.js';
import type { MenderClient } from './mender-client.js';

export interface DeployDeps {
  client: MenderClient;
  journal: Journal;
  /** The bootloader environment (fw_printenv), or null where there is none to read. */
  readBootEnv(): Promise<Record<string, string> | null>;
  /** Asks the system to reboot; resolves once the request was made. */
  reboot(): Promise<void>;
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
  /** The stick's identity for the journal and the ledger. */
  stick: Record<string, string>;
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
  | { status: 'installed'; journal: JournalRecord; rebooting: boolean; rebootLater?: () => Promise<DeployOutcome> }
  /** The install failed; nothing is pending. */
  | { status: 'failed'; journal: JournalRecord; error: UpdaterError };

// 128 KiB reads: larger ones only add garbage between collections while the client sets the pace.
const INSTALL_CHUNK = 128 * 1024;

/** Refuses to start while the bootloader says a trial boot is pending, whatever our journal says. */
async function assertBootloaderIdle(deps: DeployDeps): Promise<void> {
  const env = await deps.readBootEnv();
  if (env?.['upgrade_available'] === '1') {
    throw new UpdaterError('INSTALL_PENDING_UPDATE', 'the bootloader has an update pending (upgrade_available=1): commit or roll it back first; installing now would overwrite a partition in use');
  }
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
    return { status: 'installed', journal: deployment.record, rebooting: false };
  }
  if (request.reboot.mode === 'on-removal') {
    deps.log(`installed ${request.artifactName}; rebooting once the stick is removed`);
    return { status: 'installed', journal: deployment.record, rebooting: false, rebootLater: () => requestReboot(deployment, request, deps) };
  }
  if (request.reboot.mode === 'delay') {
    request.onRebooting?.();
    deps.log(`installed ${request.artifactName}; rebooting in ${request.reboot.delay / 1000} s`);
    await deps.sleep(request.reboot.delay);
    return requestReboot(deployment, request, deps, true);
  }
  return requestReboot(deployment, request, deps);
}

/** Runs the reboot command; one that fails rolls the install back rather than leave it pending. */
async function requestReboot(deployment: Deployment, request: DeployRequest, deps: DeployDeps, announced = false): Promise<DeployOutcome> {
  if (!announced) request.onRebooting?.();
  try {
    await deps.reboot();
  } catch (err) {
    const message = (err as Error).message;
    deps.log(`the reboot could not be requested: ${message}; rolling the install back`);
    await deployment.advance('reboot-failed', { lastError: { code: 'REBOOT_FAILED', message } });
    // ArtifactRollback before any reboot: the client switches the bootloader back.
    const result = await deps.client.rollback();
    if (result.code === 0) return { status: 'failed', journal: await deployment.advance('rolled-back'), error: new UpdaterError('INSTALL_FAILED', `reboot failed: ${message}`) };
    await deployment.advance('rollback-failed', { lastError: { code: 'ROLLBACK_FAILED', message: result.output.slice(-500) } });
    return { status: 'failed', journal: await deployment.advance('failure-recorded'), error: new UpdaterError('INSTALL_FAILED', `reboot failed (${message}) and so did the rollback`) };
  }
  deps.log(`installed ${request.artifactName}; rebooting`);
  return { status: 'installed', journal: deployment.record, rebooting: true };
}

/** Installs `request.file` through the client. The caller holds the deployment lock. */
export async function deploy(request: DeployRequest, deps: DeployDeps): Promise<DeployOutcome> {
  await assertBootloaderIdle(deps);
  const deployment = await deps.journal.begin({ artifactName: request.artifactName, sourcePath: request.file.path, stick: request.stick, size: request.file.size });
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
    return fail(deployment, err);
  }
  const patch = { sha256: totals.sha256(), size: totals.bytes };
  if (!installed.rebootRequired) {
    // An update module that needs no reboot: the health check runs on this boot.
    return { status: 'installed', journal: await deployment.advance('installed-no-reboot', patch), rebooting: false };
  }
  await deployment.advance('installed', patch);
  return rebootAsConfigured(deployment, request, deps);
}
