// The journal record: the deployment in progress (or the last one) as the journal file holds it,
// its transitions and the fields the runner fills in. Persisted: fields are added, never renamed;
// state and event names are checked on read (src/state/machine.ts). The journal and the ledger
// both build on it.

import * as z from 'zod';
import type { ErrorCode } from '../errors/index.js';
import type { StickAudit } from '../media/index.js';
import { isEvent, isState, type Event, type State } from './machine.js';

/** Bump on any change an older reader would misread; append-only, like state names. */
export const JOURNAL_FORMAT = 1;

const isoTime = z.string().min(1);
const errorInfo = z.object({ code: z.string().min(1), message: z.string() });
const transition = z.object({
  /** The state entered. */
  state: z.string().refine(isState, 'not a known state'),
  /** The event that entered it; null for the first state. */
  event: z.string().refine(isEvent, 'not a known event').nullable(),
  at: isoTime,
  /** The boot on which it was entered: a different one now means the machine rebooted since. */
  bootId: z.string().min(1),
});
/** One health check's result, as the health runner reports it (src/health). */
const checkResult = z.object({
  name: z.string(),
  type: z.string(),
  required: z.boolean(),
  passed: z.boolean(),
  attempts: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  message: z.string(),
  code: z.string().optional(),
});
/** The health checks of the trial boot: the evidence behind a commit or a rollback. */
export const healthSummarySchema = z.object({
  passed: z.boolean(),
  durationMs: z.number().nonnegative(),
  deadlineExceeded: z.boolean(),
  results: z.array(checkResult),
  /** Failed wanted checks: logged, not fatal. */
  warnings: z.array(z.string()).default([]),
});
export type HealthSummary = z.infer<typeof healthSummarySchema>;

export const journalSchema = z.object({
  format: z.literal(JOURNAL_FORMAT),
  deploymentId: z.string().min(1),
  artifactName: z.string().min(1),
  /**
   * SHA-256 (hex) of every byte streamed into the client, written by earlier versions; null since
   * issue 16 dropped that second hash of the payload (the client hashes it anyway).
   */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  /**
   * SHA-256 (hex) of the artifact's `manifest` member (ArtifactInfo.manifest_sha256): the manifest
   * holds the checksum of every other member, so this names the artifact's whole content. Known
   * before the install starts; a journal written before it reads as null (added without a format
   * bump; an earlier version reading this journal drops the key, as it drops any it does not know).
   */
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/).nullable().default(null),
  size: z.number().int().nonnegative().nullable(),
  /** How the stick identified itself (label, uuid, USB ids, serial…): a StickAudit, read back as any strings. */
  stick: z.record(z.string(), z.string()),
  sourcePath: z.string(),
  bootIdAtInstall: z.string().min(1),
  partitionBefore: z.string().nullable(),
  partitionAfter: z.string().nullable(),
  startedAt: isoTime,
  updatedAt: isoTime,
  state: z.string().refine(isState, 'not a known state'),
  history: z.array(transition).min(1),
  lastError: errorInfo.nullable(),
  // Added without a format bump: a journal written before them reads as null (not yet classified).
  /** What the boot after the install was (src/health/classify.ts), with the facts in `bootFacts`. */
  classification: z.string().nullable().default(null),
  bootFacts: z.string().nullable().default(null),
  /** The health checks' results, once they ran. */
  health: healthSummarySchema.nullable().default(null),
});

export interface Transition {
  state: State;
  event: Event | null;
  at: string;
  bootId: string;
}

/**
 * An error as the journal and the ledger record it. Written with a code of ERROR_CODES only, so
 * every code recorded has a hint and a README row (the compiler checks each writer). Read back as
 * written: codes are append-only, and one written by another version is kept, shown as is.
 */
export interface RecordedError {
  code: ErrorCode;
  message: string;
}

export interface JournalRecord extends Omit<z.infer<typeof journalSchema>, 'state' | 'history' | 'stick' | 'lastError'> {
  state: State;
  history: Transition[];
  stick: StickAudit;
  lastError: RecordedError | null;
}

/** Fields the runner may fill in as it learns them, with any event. */
export type JournalPatch = Partial<Pick<JournalRecord, 'size' | 'partitionBefore' | 'partitionAfter' | 'lastError' | 'classification' | 'bootFacts' | 'health'>>;

export interface BeginInput {
  artifactName: string;
  sourcePath: string;
  stick: StickAudit;
  manifestSha256?: string | null;
  size?: number | null;
  partitionBefore?: string | null;
  partitionAfter?: string | null;
}
