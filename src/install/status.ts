// What `usb-updater status` shows: the journal (the deployment pending, or the last one) and the
// newest ledger entries. Reads only: no lock is taken and nothing is written.

import { UpdaterError } from '../errors/index.js';
import type { JournalRecord, LedgerEntry } from '../state/index.js';
import { openState } from './deployment-deps.js';

export interface DeploymentStatus {
  journal: JournalRecord | null;
  /** Newest first, at most `limit`. */
  history: LedgerEntry[];
  /** Unreadable ledger lines skipped: a damaged ledger never blocks an update, but it is said. */
  ledgerSkippedLines: number;
}

/** The state of `dir`; an unreadable journal throws its error (STATE_CORRUPT, STATE_VERSION_UNKNOWN…). */
export async function readStatus(dir: string, limit: number): Promise<DeploymentStatus> {
  const { journal, ledger } = await openState(dir);
  const read = await journal.read();
  if (read.status === 'unreadable') throw read.error;
  const ledgerRead = await ledger.read();
  // Status says what it finds: a ledger the store refuses is STATE_CORRUPT here, though it never
  // blocks an install (the next append sets it aside).
  if (ledgerRead.unreadable !== null) throw new UpdaterError('STATE_CORRUPT', ledgerRead.unreadable);
  return { journal: read.status === 'ok' ? read.journal : null, history: ledgerRead.history(limit), ledgerSkippedLines: ledgerRead.skippedLines };
}
