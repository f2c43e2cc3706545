// `usb-updater install PATH...` (by hand what the daemon does for a stick) and `usb-updater status`:
// the composition of policy, media, state and installer. Device facts always come from the device.

import { UpdaterError } from '../errors/index.js';
import { deploy, finishDeployment, type DeployOutcome, type FinishResult } from './index.js';
import { collectCandidates } from '../media/index.js';
import { decide, type Decision, type DeviceFacts, type LoadedConfig, type MediaFacts } from '../policy/index.js';
import { Journal, Ledger, type JournalRecord, type LedgerEntry } from '../state/index.js';
import { acquireDeploymentLock } from '../system/state/deployment-lock.js';
import { assertStandalone } from '../system/install/mender-daemon.js';
import { deviceProvides, readDeviceType } from '../system/policy/device-facts.js';
import { readBootFacts } from '../system/health/active-partition.js';
import { realStickFs } from '../system/media/stick-fs.js';
import { loadPolicy, searchOptions } from '../cli/config.js';
import { assertTrustedFiles } from './trusted-files.js';
import { finishDeps, rebootCommand, stateDeps } from './deployment-deps.js';
import { INSTALL_EXIT } from '../cli/exit-codes.js';
import type { Io } from '../cli/io.js';
import { clearProgress, progressLine } from '../cli/progress.js';
import { printable } from '../cli/printable.js';

/** `promise`, marked as handled: it is awaited later, or not at all when an earlier step failed. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function reportDecision(decision: Decision, io: Io): void {
  for (const c of decision.candidates.filter((v) => v.verdict !== 'accept' || !v.selected)) {
    io.stderr.write(`${printable(`${c.verdict.toUpperCase()} ${c.path}: ${c.reasons.map((r) => `${r.code}: ${r.message}`).join('; ')}`)}\n`);
  }
}

export interface InstallOptions {
  config: string;
  json: boolean;
}

/**
 * What one pass of the pipeline over a stick (or files) ended in. `finished`: an update that needed
 * no reboot was checked, then committed or rolled back, in the same pass.
 */
export type SessionResult = { kind: 'nothing'; decision: Decision } | { kind: 'deployed'; decision: Decision; outcome: DeployOutcome; finished?: FinishResult };

export interface SessionRequest {
  paths: readonly string[];
  loaded: LoadedConfig;
  /** The stick's facts for the media rules; null for folders and files given by hand. */
  media: MediaFacts | null;
  /** The stick's identity for the journal and the ledger. */
  stick: Record<string, string>;
  log: (message: string) => void;
  onProgress?: (bytes: number, total: number | null) => void;
  /** The deployment is in the journal: see DeployRequest. */
  onStarted?: (record: JournalRecord) => void;
  /** The reboot is about to be waited for or requested: see DeployRequest. */
  onRebooting?: () => void;
  /** Told the device's facts, then the decision, as they are known: a later step may still throw. */
  observe?: (learned: { device: DeviceFacts; decision?: Decision }) => void;
  /**
   * Runs once, before the reboot command or the wait of reboot.mode delay (the report on the
   * stick must be written while the stick is surely still in).
   */
  beforeReboot?: () => Promise<void>;
}

/**
 * The pipeline the daemon runs for each stick and `install` runs by hand: lock, refuse while a
 * deployment is pending, decide with the device's facts and history, then deploy the one artifact
 * selected, from the very descriptor its header was checked on.
 */
export async function runSession(request: SessionRequest): Promise<SessionResult> {
  const { config } = request.loaded;
  const deps = await stateDeps(config.state.dir);
  const lock = await acquireDeploymentLock(config.state.dir, { bootId: deps.bootId, now: deps.now() });
  try {
    const ledger = new Ledger(deps);
    const journal = new Journal(deps, ledger);
    const { pending } = await journal.resume();
    if (pending) throw new UpdaterError('INSTALL_PENDING_UPDATE', `deployment ${pending.deployment.record.deploymentId} of ${pending.deployment.record.artifactName} is still pending (${pending.deployment.record.state}); run the health check or reboot first`);
    // The Mender daemon (managed mode) drives the same store and bootloader: never beside it.
    await assertStandalone();
    const history = await ledger.read();
    // The device's facts and the stick's search are independent and only read: they run at once
    // (show-provides is a client process, 0.1-0.3 s on a busy device). Their results, and so which
    // error wins, are still taken in the order the checks always had. The client is detected after
    // the decision, as before: only when there is something to install.
    const deviceType = settledLater(readDeviceType(config.device.device_type_file));
    const provides = settledLater(deviceProvides());
    const collecting = settledLater(collectCandidates(request.paths, realStickFs, searchOptions(request.loaded)));
    let device: DeviceFacts;
    try {
      device = { deviceType: await deviceType, provides: await provides, failedArtifacts: history.failedArtifacts() };
      request.observe?.({ device });
    } catch (err) {
      // The search may have opened the stick's files meanwhile: never leave them open.
      const opened = await collecting.catch(() => null);
      await Promise.allSettled([...(opened?.files.values() ?? [])].map((f) => f.artifact.close()));
      throw err;
    }
    const { candidates, files } = await collecting;
    try {
      const decision = decide(candidates, device, config, request.media);
      request.observe?.({ device, decision });
      const chosen = decision.selected === null ? undefined : files.get(decision.selected);
      const name = decision.candidates.find((c) => c.selected)?.artifactName;
      if (chosen === undefined || name === undefined || name === null) return { kind: 'nothing', decision };
      const finish = finishDeps(request.loaded, request.log);
      let announced: Promise<void> | undefined;
      const beforeReboot = (): Promise<void> => (announced ??= request.beforeReboot?.() ?? Promise.resolve());
      const outcome = await deploy(
        {
          file: chosen,
          artifactName: name,
          stick: request.stick,
          reboot: config.reboot,
          ...(request.onProgress ? { onProgress: request.onProgress } : {}),
          ...(request.onStarted ? { onStarted: request.onStarted } : {}),
          ...(request.onRebooting ? { onRebooting: request.onRebooting } : {}),
        },
        {
          client: await finish.client(),
          journal,
          readBootFacts,
          reboot: async () => {
            await beforeReboot();
            await rebootCommand(config)();
          },
          // deploy() sleeps only for reboot.mode delay.
          sleep: async (ms) => {
            await beforeReboot();
            await new Promise((resolve) => setTimeout(resolve, ms));
          },
          log: request.log,
        },
      );
      // An update module that needs no reboot: its health check, commit or rollback, now.
      if (outcome.status === 'installed' && outcome.journal.state === 'ArtifactVerifyReboot') {
        return { kind: 'deployed', decision, outcome, finished: await finishDeployment(outcome.deployment, finish) };
      }
      return { kind: 'deployed', decision, outcome };
    } finally {
      await Promise.allSettled([...files.values()].map((f) => f.artifact.close()));
    }
  } finally {
    await lock.release();
  }
}

/** Installs the artifact the policy selects among `paths`. */
export async function installCommand(paths: readonly string[], options: InstallOptions, io: Io): Promise<number> {
  const loaded = await loadPolicy(options.config, io);
  await assertTrustedFiles(loaded);
  // Never 100 % before the client said it is done: the last percent is its own work.
  const progress = options.json ? undefined : progressLine(io, 'installing', true);
  const result = await runSession({
    paths,
    loaded,
    media: null,
    stick: { source: paths.join(' ') },
    log: (message) => io.stderr.write(`${printable(message)}\n`),
    ...(progress ? { onProgress: progress } : {}),
  });
  if (progress) clearProgress(io);
  if (result.kind === 'nothing') {
    reportDecision(result.decision, io);
    if (options.json) io.stdout.write(JSON.stringify({ outcome: 'nothing', summary: result.decision.summary }, null, 2) + '\n');
    else io.stdout.write(`${printable(result.decision.summary)}\n`);
    return INSTALL_EXIT.NOTHING;
  }
  if (result.finished) return reportFinished(result.finished, options, io);
  return report(result.outcome, options, io);
}

/** An update that needed no reboot, checked and committed or rolled back in the same run. */
function reportFinished(finished: FinishResult, options: InstallOptions, io: Io): number {
  const j = finished.journal;
  if (options.json) io.stdout.write(JSON.stringify({ outcome: finished.status, rebooting: false, deployment: j, error: finished.status === 'committed' ? null : j.lastError }, null, 2) + '\n');
  else if (finished.status === 'committed') io.stdout.write(`${printable(`installed and committed ${j.artifactName} (${j.size ?? 0} bytes, sha256 ${j.sha256 ?? ''}); no reboot needed`)}\n`);
  else io.stderr.write(`usb-updater: ${printable(`${j.artifactName} ${finished.status === 'awaiting-reboot' ? finished.reason : finished.status}${j.lastError ? `: ${j.lastError.code}: ${j.lastError.message}` : ''}`)}\n`);
  return finished.status === 'committed' ? INSTALL_EXIT.INSTALLED : INSTALL_EXIT.FAILED;
}

function report(outcome: DeployOutcome, options: InstallOptions, io: Io): number {
  const j = outcome.journal;
  if (options.json) {
    const error = outcome.status === 'failed' ? { code: outcome.error.code, message: outcome.error.message } : null;
    io.stdout.write(JSON.stringify({ outcome: outcome.status, rebooting: outcome.status === 'installed' && outcome.rebooting, deployment: j, error }, null, 2) + '\n');
  } else if (outcome.status === 'installed') {
    io.stdout.write(`${printable(`installed ${j.artifactName} (${j.size ?? 0} bytes, sha256 ${j.sha256 ?? ''}); state ${j.state}`)}\n`);
    // Only the daemon follows sticks: by hand, "once the stick is removed" is the operator's call.
    if (outcome.rebootLater) io.stderr.write('reboot.mode is on-removal: install does not watch the stick; reboot when it is out\n');
  } else {
    io.stderr.write(`usb-updater: error ${outcome.error.code}: ${printable(outcome.error.message)}\n`);
  }
  return outcome.status === 'installed' ? INSTALL_EXIT.INSTALLED : INSTALL_EXIT.FAILED;
}

function statusText(journal: JournalRecord | null, history: readonly LedgerEntry[], skippedLines: number): string {
  const lines: string[] = [];
  if (journal === null) lines.push('No deployment recorded.');
  else {
    lines.push(`Deployment ${journal.deploymentId}: ${journal.artifactName}, state ${journal.state} (since ${journal.updatedAt})`);
    if (journal.classification) lines.push(`  boot after the install: ${journal.classification}${journal.bootFacts ? ` (${journal.bootFacts})` : ''}`);
    if (journal.health) {
      lines.push(`  health checks ${journal.health.passed ? 'passed' : 'failed'} in ${(journal.health.durationMs / 1000).toFixed(1)} s${journal.health.deadlineExceeded ? ' (deadline reached)' : ''}`);
      for (const r of journal.health.results) lines.push(`    ${r.passed ? 'PASS' : 'FAIL'} ${r.name} (${r.type}${r.required ? '' : ', wanted'}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}, ${(r.durationMs / 1000).toFixed(1)} s): ${r.message}`);
    }
    if (journal.lastError) lines.push(`  last error ${journal.lastError.code}: ${journal.lastError.message}`);
  }
  lines.push('', `History (newest first, ${history.length}):`);
  // A damaged ledger never blocks an update (its unreadable lines are skipped), but it is said.
  if (skippedLines > 0) lines.push(`  (${skippedLines} unreadable line${skippedLines === 1 ? '' : 's'} of the ledger skipped: it was damaged)`);
  for (const e of history) lines.push(`  ${e.at}  ${e.outcome.padEnd(11)} ${e.artifactName}${e.cause ? ` (${e.cause})` : ''}${e.error ? ` ${e.error.code}: ${e.error.message}` : ''}`);
  return lines.map(printable).join('\n') + '\n';
}

/** `usb-updater status`: the journal (pending or last deployment) and the newest ledger entries. */
export async function statusCommand(options: { config: string; json: boolean; limit: number }, io: Io): Promise<number> {
  const { config } = await loadPolicy(options.config, io);
  const deps = await stateDeps(config.state.dir);
  const ledger = new Ledger(deps);
  const read = await new Journal(deps, ledger).read();
  if (read.status === 'unreadable') throw read.error;
  const journal = read.status === 'ok' ? read.journal : null;
  const ledgerRead = await ledger.read();
  const history = ledgerRead.history(options.limit);
  if (options.json) io.stdout.write(JSON.stringify({ journal, history, ledgerSkippedLines: ledgerRead.skippedLines }, null, 2) + '\n');
  else io.stdout.write(statusText(journal, history, ledgerRead.skippedLines));
  return 0;
}
