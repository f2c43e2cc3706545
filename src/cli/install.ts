// `usb-updater install PATH...`: by hand what the daemon does for a stick (src/install/pipeline.ts),
// with a progress line on a terminal and the outcome as text or JSON.

import { assertTrustedFiles, runUpdate, type DeployOutcome, type FinishResult } from '../install/index.js';
import { printable } from '../log/index.js';
import type { Decision } from '../policy/index.js';
import { INSTALL_EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { loadPolicy } from './load-config.js';
import { clearProgress, progressLine } from './progress.js';

export interface InstallOptions {
  config: string;
  json: boolean;
}

function reportDecision(decision: Decision, io: Io): void {
  for (const c of decision.candidates.filter((v) => v.verdict !== 'accept' || !v.selected)) {
    io.stderr.write(`${printable(`${c.verdict.toUpperCase()} ${c.path}: ${c.reasons.map((r) => `${r.code}: ${r.message}`).join('; ')}`)}\n`);
  }
}

/** Installs the artifact the policy selects among `paths`. */
export async function installCommand(paths: readonly string[], options: InstallOptions, io: Io): Promise<number> {
  const loaded = await loadPolicy(options.config, io);
  await assertTrustedFiles(loaded);
  // Never 100 % before the client said it is done: the last percent is its own work.
  const progress = options.json ? undefined : progressLine(io, 'installing', true);
  const result = await runUpdate({
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
  else if (finished.status === 'committed') io.stdout.write(`${printable(`installed and committed ${j.artifactName} (${j.size ?? 0} bytes, manifest sha256 ${j.manifestSha256 ?? ''}); no reboot needed`)}\n`);
  else io.stderr.write(`usb-updater: ${printable(`${j.artifactName} ${finished.status === 'awaiting-reboot' ? finished.reason : finished.status}${j.lastError ? `: ${j.lastError.code}: ${j.lastError.message}` : ''}`)}\n`);
  return finished.status === 'committed' ? INSTALL_EXIT.INSTALLED : INSTALL_EXIT.FAILED;
}

function report(outcome: DeployOutcome, options: InstallOptions, io: Io): number {
  const j = outcome.journal;
  if (options.json) {
    const error = outcome.status === 'failed' ? { code: outcome.error.code, message: outcome.error.message } : null;
    io.stdout.write(JSON.stringify({ outcome: outcome.status, rebooting: outcome.status === 'installed' && outcome.rebooting, deployment: j, error }, null, 2) + '\n');
  } else if (outcome.status === 'installed') {
    io.stdout.write(`${printable(`installed ${j.artifactName} (${j.size ?? 0} bytes, manifest sha256 ${j.manifestSha256 ?? ''}); state ${j.state}`)}\n`);
    // Only the daemon follows sticks: by hand, "once the stick is removed" is the operator's call.
    if (outcome.rebootLater) io.stderr.write('reboot.mode is on-removal: install does not watch the stick; reboot when it is out\n');
  } else {
    io.stderr.write(`usb-updater: error ${outcome.error.code}: ${printable(outcome.error.message)}\n`);
  }
  return outcome.status === 'installed' ? INSTALL_EXIT.INSTALLED : INSTALL_EXIT.FAILED;
}
