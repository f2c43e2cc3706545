// `usb-updater status`: the deployment pending or the last one, and the history of outcomes.

import { readStatus } from '../install/index.js';
import { printable } from '../log/index.js';
import type { JournalRecord, LedgerEntry } from '../state/index.js';
import type { Io } from './io.js';
import { loadPolicy } from './load-config.js';

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
  const { journal, history, ledgerSkippedLines } = await readStatus(config.state.dir, options.limit);
  if (options.json) io.stdout.write(JSON.stringify({ journal, history, ledgerSkippedLines }, null, 2) + '\n');
  else io.stdout.write(statusText(journal, history, ledgerSkippedLines));
  return 0;
}
