// The journal: one JSON file holding the deployment in progress (or the last one), rewritten
// atomically BEFORE each side effect, so that after a power cut the process knows what it was about
// to do. Owns reading it back (validated against src/state/record.ts) and the runner-facing API.

import { UpdaterError, isUpdaterError, type ErrorCode } from '../errors/index.js';
import { ledgerEntriesFor, type Ledger } from './ledger.js';
import { isTerminal, next, recoveryEvent, INITIAL_STATE, type Event, type PendingState, type State } from './machine.js';
import type { StateDeps } from './ports.js';
import { journalSchema, JOURNAL_FORMAT, type BeginInput, type JournalPatch, type JournalRecord, type Transition } from './record.js';

/** The history keeps the first transition and the newest ones: retries must not grow it for ever. */
export const MAX_HISTORY = 100;

/**
 * What reading the journal gave. `unreadable` (corrupt, truncated, unknown format, read error) is
 * NOT "nothing pending": an update may be pending in a state we cannot see. The safe reading is:
 * refuse every install (begin() throws the error), never commit; at boot, ask the client: if it has
 * an update pending, roll it back (a rollback loses at worst a good update, a commit could make an
 * untested one permanent); if it has nothing pending, set the file aside (setAsideUnreadable()),
 * which keeps it for the audit, and carry on.
 */
export type JournalRead =
  | { status: 'none' }
  | { status: 'ok'; journal: JournalRecord }
  | { status: 'unreadable'; error: UpdaterError };

/** Parses a journal read back from disk; throws STATE_CORRUPT or STATE_VERSION_UNKNOWN. */
export function parseJournal(text: string): JournalRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UpdaterError('STATE_CORRUPT', `journal: not JSON (${text.length} bytes; truncated?)`, { cause: err });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UpdaterError('STATE_CORRUPT', 'journal: not a JSON object');
  const { format } = data as { format?: unknown };
  if (typeof format !== 'number') throw new UpdaterError('STATE_CORRUPT', 'journal: no format version');
  if (format !== JOURNAL_FORMAT) {
    throw new UpdaterError('STATE_VERSION_UNKNOWN', `journal: format version ${format}; this version reads ${JOURNAL_FORMAT}`);
  }
  const parsed = journalSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    // A well-formed name that this version does not know was written by a newer one.
    const code = issue?.message.startsWith('not a known') === true ? 'STATE_VERSION_UNKNOWN' : 'STATE_CORRUPT';
    throw new UpdaterError(code, `journal: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  // Codes and stick fields are read back as written (RecordedError): another version may have written them.
  const journal = parsed.data as JournalRecord;
  if (journal.history.at(-1)?.state !== journal.state) {
    throw new UpdaterError('STATE_CORRUPT', `journal: state ${journal.state} is not the last state of its history`);
  }
  assertLegalHistory(journal.history);
  return journal;
}

/**
 * Every transition of the history must be one the table allows, so that a damaged or forged file
 * cannot claim, say, ArtifactCommit without checks-passed. A history trimmed to MAX_HISTORY lost
 * the transitions between its first entry and the second one it kept: that pair is not checked.
 */
function assertLegalHistory(history: readonly Transition[]): void {
  const [first] = history;
  if (first?.event !== null || first.state !== INITIAL_STATE) throw new UpdaterError('STATE_CORRUPT', `journal: history does not start with ${INITIAL_STATE}`);
  for (let i = 1; i < history.length; i += 1) {
    const from = history[i - 1];
    const to = history[i];
    if (from === undefined || to === undefined || (i === 1 && history.length >= MAX_HISTORY)) continue;
    if (to.event === null || !isLegal(from.state, to.event, to.state)) {
      throw new UpdaterError('STATE_CORRUPT', `journal: history entry ${i}: ${from.state} --${to.event ?? 'null'}--> ${to.state} is not a transition of the table`);
    }
  }
}

function isLegal(from: State, event: Event, to: State): boolean {
  try {
    return next(from, event) === to;
  } catch {
    return false;
  }
}

export function serializeJournal(journal: JournalRecord): string {
  return `${JSON.stringify(journal, null, 2)}\n`;
}

/** Whether the journal says a deployment is still in progress. */
export function isPending(journal: JournalRecord): journal is JournalRecord & { state: PendingState } {
  return !isTerminal(journal.state);
}

/** The journal after `event`, pure. Throws STATE_BAD_TRANSITION for an impossible event. */
export function applyEvent(journal: JournalRecord, event: Event, patch: JournalPatch, at: string, bootId: string): JournalRecord {
  const state = next(journal.state, event);
  const history = [...journal.history, { state, event, at, bootId }];
  if (history.length > MAX_HISTORY) history.splice(1, history.length - MAX_HISTORY);
  return { ...journal, ...patch, state, history, updatedAt: at };
}

/** How many recoveries (`retry`) in a row the journal had in its current state. */
export function recoveriesInState(journal: JournalRecord): number {
  let count = 0;
  for (let i = journal.history.length - 1; i >= 0 && journal.history[i]?.event === 'retry'; i -= 1) count += 1;
  return count;
}

/** The event to apply at start-up to a pending journal, given this boot's id (see RECOVERY). */
export function recoveryFor(journal: JournalRecord & { state: PendingState }, bootId: string): Event | null {
  const sameBoot = journal.history.at(-1)?.bootId === bootId;
  return recoveryEvent(journal.state, sameBoot, recoveriesInState(journal));
}

/** The guard before any install: throws INSTALL_PENDING_UPDATE, or the unreadable journal's error. */
export function assertNothingPending(read: JournalRead): void {
  if (read.status === 'unreadable') throw read.error;
  if (read.status === 'ok' && isPending(read.journal)) {
    const { artifactName, state, startedAt } = read.journal;
    throw new UpdaterError('INSTALL_PENDING_UPDATE', `deployment of ${artifactName} (started ${startedAt}) is still pending in state ${state}`);
  }
}

/** What start-up finds: the pending deployment (if any) and how to resume it. */
export interface Resumed {
  /** Null when nothing is pending. */
  pending: { deployment: Deployment; recovery: Event | null } | null;
  /**
   * Set when the ledger could not be caught up (e.g. a full disk): reported, but it never blocks the
   * recovery of a pending deployment. The next start-up tries again.
   */
  ledgerError: UpdaterError | null;
}

/** The journal file and the deployments it records. */
export class Journal {
  constructor(
    private readonly deps: StateDeps,
    private readonly ledger: Ledger,
  ) {}

  async read(): Promise<JournalRead> {
    let text: string | null;
    try {
      text = await this.deps.store.read('journal.json');
    } catch (err) {
      if (isUpdaterError(err)) return { status: 'unreadable', error: err };
      throw err;
    }
    if (text === null) return { status: 'none' };
    try {
      return { status: 'ok', journal: parseJournal(text) };
    } catch (err) {
      if (isUpdaterError(err)) return { status: 'unreadable', error: err };
      throw err;
    }
  }

  /**
   * Starts a deployment in ArtifactInstall, persisted before returning: the caller then runs the
   * install. Refuses while one is pending or the journal is unreadable.
   */
  async begin(input: BeginInput): Promise<Deployment> {
    assertNothingPending(await this.read());
    const at = this.deps.now();
    const journal: JournalRecord = {
      format: JOURNAL_FORMAT,
      deploymentId: this.deps.newId(),
      artifactName: input.artifactName,
      sha256: null,
      manifestSha256: input.manifestSha256 ?? null,
      size: input.size ?? null,
      stick: input.stick,
      sourcePath: input.sourcePath,
      bootIdAtInstall: this.deps.bootId,
      partitionBefore: input.partitionBefore ?? null,
      partitionAfter: input.partitionAfter ?? null,
      startedAt: at,
      updatedAt: at,
      state: INITIAL_STATE,
      history: [{ state: INITIAL_STATE, event: null, at, bootId: this.deps.bootId }],
      lastError: null,
      classification: null,
      bootFacts: null,
      health: null,
    };
    await this.deps.store.replace('journal.json', serializeJournal(journal));
    return new Deployment(this.deps, this.ledger, journal);
  }

  /**
   * At start-up: the pending deployment, if any, and the recovery event to apply to it (null: leave
   * it as it is, see RECOVERY). Also appends to the ledger any outcome the journal reached but a
   * crash kept out of it. Throws the error of an unreadable journal.
   */
  async resume(): Promise<Resumed> {
    const read = await this.read();
    if (read.status === 'unreadable') throw read.error;
    if (read.status === 'none') return { pending: null, ledgerError: null };
    let ledgerError: UpdaterError | null = null;
    try {
      await this.ledger.catchUp(read.journal);
    } catch (err) {
      if (!isUpdaterError(err)) throw err;
      ledgerError = err;
    }
    if (!isPending(read.journal)) return { pending: null, ledgerError };
    const deployment = new Deployment(this.deps, this.ledger, read.journal);
    return { pending: { deployment, recovery: recoveryFor(read.journal, this.deps.bootId) }, ledgerError };
  }

  /**
   * Sets an unreadable journal aside (journal.json.bad) so that installs can start again. Only for
   * after the caller made sure the client has nothing pending. Refuses a readable journal.
   */
  async setAsideUnreadable(): Promise<string> {
    const read = await this.read();
    if (read.status !== 'unreadable') throw new UpdaterError('STATE_BAD_TRANSITION', `journal: ${read.status === 'none' ? 'absent' : 'readable'}, nothing to set aside`);
    const moved = await this.deps.store.setAside('journal.json');
    await this.ledger.append({
      outcome: 'failed',
      artifactName: '(unknown: unreadable journal)',
      sha256: null,
      manifestSha256: null,
      deploymentId: null,
      cause: 'journal-unreadable',
      error: { code: read.error.code, message: read.error.message },
      stick: {},
    });
    return moved;
  }
}

/** One deployment, as the runner drives it: advance, then perform the new state's side effect. */
export class Deployment {
  constructor(
    private readonly deps: StateDeps,
    private readonly ledger: Ledger,
    private current: JournalRecord,
  ) {}

  get record(): JournalRecord {
    return this.current;
  }

  /**
   * Applies `event` and persists the new state BEFORE returning, so the caller performs the side
   * effect only once the journal says so. Then records any outcome in the ledger. On
   * STATE_WRITE_FAILED the journal is either intact in the old state (`record` unchanged: do not
   * act) or, when only the ledger append failed, already in the new one (`record` shows it; resume()
   * adds the missing ledger entry at the next start).
   */
  async advance(event: Event, patch: JournalPatch = {}): Promise<JournalRecord> {
    const updated = applyEvent(this.current, event, patch, this.deps.now(), this.deps.bootId);
    await this.deps.store.replace('journal.json', serializeJournal(updated));
    this.current = updated;
    for (const entry of ledgerEntriesFor(updated, updated.history.slice(-1))) await this.ledger.append(entry);
    return updated;
  }

  /** Records an error without changing state (e.g. a reboot request that failed and will be retried). */
  async noteError(code: ErrorCode, message: string): Promise<JournalRecord> {
    const updated = { ...this.current, lastError: { code, message }, updatedAt: this.deps.now() };
    await this.deps.store.replace('journal.json', serializeJournal(updated));
    this.current = updated;
    return updated;
  }
}
