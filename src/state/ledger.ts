// The ledger: an append-only, bounded history of deployments and their outcomes, one JSON object a
// line. It is the audit log, and what stops loops: an artifact that failed or rolled back is not
// installed again from a stick unless the policy allows. Outcome names are persisted: append only.

import * as z from 'zod';
import { UpdaterError } from '../errors/index.js';
import { shorten } from '../log/index.js';
import type { StickAudit } from '../media/index.js';
import type { JournalRecord, RecordedError, Transition } from './record.js';
import type { Event, State } from './machine.js';
import type { StateDeps } from './ports.js';

export const LEDGER_FORMAT = 1;
export const OUTCOMES = ['installed', 'committed', 'rolled-back', 'failed', 'rejected'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** The outcomes that keep an artifact from being installed again (unless the policy allows). */
const FAILED_OUTCOMES: readonly Outcome[] = ['rolled-back', 'failed'];
/**
 * Failures that were the stick's, not the artifact's: pulled out or unreadable mid-stream, or its
 * bytes changed after the check. They must not keep the genuine artifact out when the technician
 * plugs the stick in again (nor let a tampered copy block a release by its name). A stalled install
 * (INSTALL_STALLED: no byte taken for client.stall_timeout) is a stick's or the device's, too.
 */
const SOURCE_FAULTS: readonly string[] = ['IO_ERROR', 'MEDIA_GONE', 'MEDIA_TIMEOUT', 'INSTALL_SOURCE_CHANGED', 'INSTALL_STALLED'];

/**
 * Rollbacks that were the device's, not the artifact's: an install cut short (a power cut, the
 * daemon stopped) is rolled back at the next start, and one whose reboot command failed is rolled
 * back before any reboot; neither says anything about the artifact.
 */
const DEVICE_CAUSES: readonly string[] = ['interrupted', 'reboot-failed'];

const countsAgainst = (e: LedgerEntry): boolean =>
  FAILED_OUTCOMES.includes(e.outcome) && !(e.error !== null && SOURCE_FAULTS.includes(e.error.code)) && !(e.cause !== null && DEVICE_CAUSES.includes(e.cause));
export const DEFAULT_MAX_ENTRIES = 1000;
/**
 * Longest error message and stick value kept in an entry: with at most twice DEFAULT_MAX_ENTRIES
 * lines (see compact), the ledger stays under about 8 MB, half what the state store reads.
 */
const MAX_FIELD_LENGTH = 2000;

const entrySchema = z.object({
  v: z.literal(LEDGER_FORMAT),
  at: z.string().min(1),
  outcome: z.enum(OUTCOMES),
  artifactName: z.string(),
  /** SHA-256 of every byte streamed, written by earlier versions; null since (see the journal's). */
  sha256: z.string().nullable(),
  /** SHA-256 of the artifact's manifest, which names its whole content (see the journal's). */
  manifestSha256: z.string().nullable().default(null),
  /** Null for entries that belong to no deployment (a rejected artifact, an unreadable journal). */
  deploymentId: z.string().nullable(),
  /**
   * Why, for rolled-back and failed: the event that started the rollback or failure
   * (`checks-failed`, `bootloader-fell-back` — rolled back by the bootloader —, `interrupted`…), or
   * a reason code for rejected.
   */
  cause: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  stick: z.record(z.string(), z.string()),
  bootId: z.string(),
});

/** An entry; its error and stick are written typed (see RecordedError) and read back as written. */
export type LedgerEntry = Omit<z.infer<typeof entrySchema>, 'error' | 'stick'> & { error: RecordedError | null; stick: StickAudit };
/** What a caller supplies; the ledger adds the format, the time and the boot id. */
export type NewLedgerEntry = Omit<LedgerEntry, 'v' | 'at' | 'bootId'>;

/** Parses the ledger's lines. Unparsable lines (a torn last line after a power cut, an entry from a
 * newer format) are counted, not fatal: the audit must stay readable. */
export function parseLedger(text: string): { entries: LedgerEntry[]; skippedLines: number } {
  const entries: LedgerEntry[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parsed = entrySchema.safeParse(parseJsonOrUndefined(line));
    if (parsed.success) entries.push(parsed.data as LedgerEntry);
    else skippedLines += 1;
  }
  return { entries, skippedLines };
}

function parseJsonOrUndefined(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Pure queries over the entries read, oldest first. */
export class LedgerHistory {
  constructor(
    readonly entries: readonly LedgerEntry[],
    /** Lines that could not be read (see parseLedger). */
    readonly skippedLines = 0,
    /** Why the whole file could not be read (too large, not a regular file), when it could not. */
    readonly unreadable: string | null = null,
  ) {}

  /** Whether this artifact (by name, and by its manifest's SHA-256 when given) ever failed or rolled back. */
  hasFailedBefore(artifactName: string, manifestSha256?: string): boolean {
    return this.entries.some((e) => e.artifactName === artifactName && (manifestSha256 === undefined || e.manifestSha256 === manifestSha256) && countsAgainst(e));
  }

  /** Names of the artifacts that failed or were rolled back here through no fault of their stick. */
  failedArtifacts(): string[] {
    return [...new Set(this.entries.filter(countsAgainst).map((e) => e.artifactName))];
  }

  /** The newest entry, for one artifact when a name is given. */
  lastOutcome(artifactName?: string): LedgerEntry | null {
    return this.entries.findLast((e) => artifactName === undefined || e.artifactName === artifactName) ?? null;
  }

  /** The newest `limit` entries, newest first. */
  history(limit: number): LedgerEntry[] {
    return limit > 0 ? this.entries.slice(-limit).reverse() : [];
  }
}

/** The outcome a journal transition stands for, if it is a milestone of the deployment. */
function outcomeOf(t: Transition): Outcome | null {
  if (t.event === 'installed' || t.event === 'installed-no-reboot') return 'installed';
  const terminal: Partial<Record<State, Outcome>> = { Committed: 'committed', RolledBack: 'rolled-back', Failed: 'failed' };
  return terminal[t.state] ?? null;
}

/** The event that started the journal's latest rollback or failure: the cause of that outcome. */
export function causeOf(journal: JournalRecord): Event | null {
  const start = journal.history.findLast((t) => (t.state === 'ArtifactRollback' || t.state === 'ArtifactFailure') && t.event !== 'retry');
  return start?.event ?? null;
}

/** The ledger entries that the given transitions of `journal` stand for. */
export function ledgerEntriesFor(journal: JournalRecord, transitions: readonly Transition[]): NewLedgerEntry[] {
  return transitions.flatMap((t) => {
    const outcome = outcomeOf(t);
    if (outcome === null) return [];
    const failed = FAILED_OUTCOMES.includes(outcome);
    return [{
      outcome,
      artifactName: journal.artifactName,
      sha256: journal.sha256,
      manifestSha256: journal.manifestSha256,
      deploymentId: journal.deploymentId,
      cause: failed ? causeOf(journal) : null,
      error: failed ? journal.lastError : null,
      stick: journal.stick,
    }];
  });
}

/**
 * The lines to keep when the ledger is full: the newest `maxEntries` lines as they are (a newer
 * version's lines included), and before them, for each artifact (name and SHA-256) with a verdict
 * against it, its newest such entry, at most `maxEntries` of them. The verdicts are what stops a
 * loop; the rest is history that may go. Pure, so that it is tested on its own.
 */
export function compact(lines: readonly string[], maxEntries: number): string[] {
  if (lines.length <= maxEntries) return [...lines];
  const recent = lines.slice(lines.length - maxEntries);
  const older = lines.slice(0, lines.length - maxEntries);
  const verdicts = new Map<string, string>();
  for (const line of older) {
    const parsed = entrySchema.safeParse(parseJsonOrUndefined(line));
    if (!parsed.success || !countsAgainst(parsed.data as LedgerEntry)) continue;
    const key = JSON.stringify([parsed.data.artifactName, parsed.data.manifestSha256 ?? parsed.data.sha256]);
    // Deleted and set again, so the map's order is that of each artifact's newest verdict.
    verdicts.delete(key);
    verdicts.set(key, line);
  }
  return [...[...verdicts.values()].slice(-maxEntries), ...recent];
}

/** The entry with its free-text fields cut to MAX_FIELD_LENGTH, so that no line is large. */
function bounded(entry: LedgerEntry): LedgerEntry {
  const stick = Object.fromEntries(Object.entries(entry.stick).map(([key, value]) => [key, typeof value === 'string' ? shorten(value, MAX_FIELD_LENGTH) : value])) as StickAudit;
  const error = entry.error === null ? null : { ...entry.error, message: shorten(entry.error.message, MAX_FIELD_LENGTH) };
  return { ...entry, stick, error };
}

/** The ledger file: reads, appends, compacts, and sets aside a file it cannot read. */
export class Ledger {
  constructor(
    private readonly deps: StateDeps,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
    /** Where a line for the log goes: the ledger set aside. */
    private readonly notice: (message: string) => void = () => undefined,
  ) {}

  /**
   * The file's text, or why it cannot be read: a ledger the store refuses (larger than a state file
   * may be, not a regular file) is no reason to refuse an update. Other read errors are thrown.
   */
  private async text(): Promise<{ text: string; unreadable: string | null }> {
    try {
      return { text: (await this.deps.store.read('ledger.jsonl')) ?? '', unreadable: null };
    } catch (err) {
      if (err instanceof UpdaterError && err.code === 'STATE_CORRUPT') return { text: '', unreadable: err.message };
      throw err;
    }
  }

  /** Reads only: an unreadable ledger reads as empty, with why (status says it). */
  async read(): Promise<LedgerHistory> {
    const { text, unreadable } = await this.text();
    const { entries, skippedLines } = parseLedger(text);
    return new LedgerHistory(entries, skippedLines, unreadable);
  }

  /**
   * Appends one entry (fsynced). When that would make more than maxEntries lines, the file is
   * rewritten instead, atomically, compacted (see compact): a crash leaves either the old file or
   * the compacted one. Lines this version cannot read are kept among the newest: a newer version
   * wrote them. An unreadable ledger is set aside (`ledger.jsonl.bad`, with a log line) and a new
   * one started with this entry.
   */
  async append(entry: NewLedgerEntry): Promise<LedgerEntry> {
    const full = bounded({ v: LEDGER_FORMAT, at: this.deps.now(), ...entry, bootId: this.deps.bootId });
    const line = JSON.stringify(full);
    const { text, unreadable } = await this.text();
    if (unreadable !== null) {
      const aside = await this.deps.store.setAside('ledger.jsonl');
      this.notice(`the ledger could not be read (${unreadable}); set aside as ${aside}, a new one is started`);
      await this.deps.store.replace('ledger.jsonl', `${line}\n`);
      return full;
    }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length + 1 > this.maxEntries) {
      await this.deps.store.replace('ledger.jsonl', `${compact([...lines, line], this.maxEntries).join('\n')}\n`);
    } else {
      // A torn last line (power cut mid-append) must not swallow this entry: start a new line.
      const separator = text === '' || text.endsWith('\n') ? '' : '\n';
      await this.deps.store.append('ledger.jsonl', `${separator}${line}\n`);
    }
    return full;
  }
  /** Appends the outcomes `journal` reached that a crash kept out of the ledger. */
  async catchUp(journal: JournalRecord): Promise<void> {
    const recorded = (await this.read()).entries.filter((e) => e.deploymentId === journal.deploymentId).map((e) => e.outcome);
    for (const entry of ledgerEntriesFor(journal, journal.history)) {
      if (!recorded.includes(entry.outcome)) await this.append(entry);
    }
  }
}
