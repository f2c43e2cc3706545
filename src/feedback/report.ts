// The report written back to the stick: what happened to this device and why, for the technician
// to read on a laptop and carry back. This file owns the model (built from what the daemon knows),
// its JSON form and the file names. Pure: the time, the device's identity and the facts come in as
// arguments. The JSON's `format` is a contract: fields are only ever added.

import type { Decision } from '../policy/index.js';
import { hintFor } from './report-hints.js';

export const REPORT_FORMAT = 1;

/**
 * What the report says happened. `installed`: written, a reboot starts it; `nothing`: no artifact
 * was acceptable; `failed`: the install failed, the device runs what it ran; `not-handled`: the
 * stick could not be searched or the device refused to start; `committed` and `rolled-back`: the
 * health check after the reboot kept or undid the update.
 */
export type ReportOutcome = 'installed' | 'nothing' | 'failed' | 'not-handled' | 'committed' | 'rolled-back';

export interface ReportInput {
  /** When the outcome was known. */
  at: Date;
  device: { hostname: string; machineId: string | null; deviceType: string | null };
  /** The stick's identity as the journal records it (device, label, uuid…), for the record. */
  stick: Readonly<Record<string, string>>;
  /** Where the stick is mounted: candidate paths are shown relative to it, as on the laptop. */
  mountPoint: string | null;
  outcome: ReportOutcome;
  /** The artifact running before, and the one that runs (or will, after the reboot) after. */
  artifactBefore: string | null;
  artifactAfter: string | null;
  /** A reboot into the new artifact was requested, or waits for the stick to be removed. */
  reboot?: 'now' | 'on-removal' | 'by-hand' | null;
  /** The policy's decision, when the stick got that far. */
  decision?: Decision | null;
  error?: { code: string; message: string } | null;
  /** What came of a diagnostics request on the stick, when there was one (issue 17). */
  diagnostics?: DiagnosticsInput | null;
}

/** A diagnostics request's outcome as the daemon knows it. */
export type DiagnosticsInput =
  | { status: 'written'; folder: string; files: number; bytes: number }
  | { status: 'refused'; code: string; message: string }
  | { status: 'not-written'; message: string };

/** The same in the report; a refusal carries its hint. Only in reports of a stick that carried a request. */
export type ReportDiagnostics = Exclude<DiagnosticsInput, { status: 'refused' }> | { status: 'refused'; code: string; message: string; hint: string };

export interface ReportReason {
  code: string;
  message: string;
  hint: string;
}

export interface ReportCandidate {
  /** Relative to the root of the stick. */
  path: string;
  artifactName: string | null;
  version: string | null;
  verdict: 'accept' | 'reject' | 'skip';
  selected: boolean;
  reasons: ReportReason[];
  notes: string[];
}

export interface Report {
  format: typeof REPORT_FORMAT;
  /** ISO 8601, UTC. */
  time: string;
  outcome: ReportOutcome;
  /** One sentence for the technician. */
  summary: string;
  /** What to do next, in one sentence. */
  hint: string;
  device: { hostname: string; machineId: string | null; deviceType: string | null };
  stick: Record<string, string>;
  artifact: { before: string | null; after: string | null };
  reboot: 'now' | 'on-removal' | 'by-hand' | null;
  mediaReasons: ReportReason[];
  candidates: ReportCandidate[];
  error: ReportReason | null;
  diagnostics?: ReportDiagnostics;
}

const withHint = (r: { code: string; message: string }): ReportReason => ({ code: r.code, message: r.message, hint: hintFor(r.code) });

function relative(path: string, root: string | null): string {
  if (root === null) return path;
  const base = root.endsWith('/') ? root : `${root}/`;
  return path.startsWith(base) ? path.slice(base.length) : path;
}

function summaryOf(input: ReportInput): string {
  const after = input.artifactAfter ?? '(unknown)';
  switch (input.outcome) {
    case 'installed':
      return `${after} was installed; ${input.reboot === 'now' ? 'the device is restarting into it' : input.reboot === 'on-removal' ? 'the device restarts into it once the stick is removed' : 'it starts at the next restart'}`;
    case 'nothing':
      return input.decision?.summary ?? 'nothing to install';
    case 'failed':
      return `the update failed; the device still runs ${input.artifactBefore ?? 'what it ran before'}`;
    case 'not-handled':
      return 'the stick was not handled';
    case 'committed':
      return `${after} started and passed its checks: it is kept`;
    case 'rolled-back':
      return `the update did not pass its checks after the restart and was undone; the device runs ${after} again`;
  }
}

function hintOf(input: ReportInput): string {
  if (input.error) return hintFor(input.error.code);
  switch (input.outcome) {
    case 'installed':
      return input.reboot === 'on-removal' ? 'remove the stick: the device restarts, then checks the update and keeps it or undoes it' : 'leave the device on: after the restart it checks the update and keeps it or undoes it';
    case 'nothing': {
      // The stick's own refusal, then the tie, then the first rejection: the most useful advice.
      const decision = input.decision;
      if (decision?.outcome === 'ambiguous') return hintFor('AMBIGUOUS');
      const reasons = decision?.mediaReasons.length ? decision.mediaReasons : (decision?.candidates.filter((c) => c.verdict === 'reject').flatMap((c) => c.reasons) ?? []);
      const first = reasons[0];
      return first ? hintFor(first.code) : 'no .mender file was found on the stick; copy the update to the top folder of the stick';
    }
    case 'committed':
      return 'nothing to do: the update is done';
    default:
      return hintFor('');
  }
}

/** The report for `input`. */
export function buildReport(input: ReportInput): Report {
  const decision = input.decision ?? null;
  return {
    format: REPORT_FORMAT,
    time: input.at.toISOString(),
    outcome: input.outcome,
    summary: summaryOf(input),
    hint: hintOf(input),
    device: { ...input.device },
    stick: { ...input.stick },
    artifact: { before: input.artifactBefore, after: input.artifactAfter },
    reboot: input.reboot ?? null,
    mediaReasons: (decision?.mediaReasons ?? []).map(withHint),
    candidates: (decision?.candidates ?? []).map((c) => ({
      path: relative(c.path, input.mountPoint),
      artifactName: c.artifactName,
      version: c.version,
      verdict: c.verdict,
      selected: c.selected,
      reasons: c.reasons.map(withHint),
      notes: [...c.notes],
    })),
    error: input.error ? withHint(input.error) : null,
    ...(input.diagnostics ? { diagnostics: input.diagnostics.status === 'refused' ? { ...input.diagnostics, hint: hintFor(input.diagnostics.code) } : { ...input.diagnostics } } : {}),
  };
}

/** The JSON file: the model as is (JSON escapes every control character). */
export function renderReportJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** 20261127T170512Z: sorts by time, and has no `:` (which FAT does not allow in names). */
function compactTime(iso: string): string {
  return `${iso.slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/**
 * A host name fit for a file name on any stick (FAT, exFAT, NTFS, ext4): letters, digits, `.`, `_`
 * and `-` only, no leading dot (hidden) and short; the stick must never name a path for us.
 */
export function safeDeviceName(hostname: string): string {
  const cleaned = hostname.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.]+/, '').slice(0, 64);
  return cleaned === '' ? 'device' : cleaned;
}

/**
 * The base name (without .txt/.json) for `report` in a folder that already holds `existing`
 * names: `<device>-<time>`, then `-2`, `-3`… when two reports fall in the same second. Compared
 * without case: FAT and exFAT do not tell README.TXT from readme.txt.
 */
export function reportBaseName(report: Report, existing: readonly string[]): string {
  const taken = new Set(existing.map((n) => n.toLowerCase()));
  const stem = `${safeDeviceName(report.device.hostname)}-${compactTime(report.time)}`;
  for (let n = 1; ; n += 1) {
    const base = n === 1 ? stem : `${stem}-${n}`;
    if (!taken.has(`${base}.txt`.toLowerCase()) && !taken.has(`${base}.json`.toLowerCase())) return base;
  }
}
