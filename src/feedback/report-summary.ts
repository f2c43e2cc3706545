// The summary of every report on a stick: one row per device (by the id its reports name), its newest
// outcome with the software before and after and the reason in plain words, and the devices whose
// boot check is still to come. Pure: parsed reports in, rows out; the printers are beside it.

import { hintFor, hintTable } from './report-hints.js';
import type { StoredReport } from './report-read.js';
import type { ReportOutcome } from './report.js';

export interface ReadReportFile {
  /** The file's name as the technician should see it (a path under the PATH given). */
  file: string;
  report: StoredReport;
}

export interface RefusedFile {
  file: string;
  reason: string;
}

export interface RowReason {
  /** The error or reason code; null when the report names none (no .mender file on the stick). */
  code: string | null;
  /** What it means and what to do, in plain words (this version's hint for a code it knows). */
  words: string;
  /** The device's own message: file names, exit codes. */
  message: string;
}

export interface DeviceRow {
  /** The device's id as its reports name it: the app-specific machine id, else the host name. */
  device: string;
  idKind: 'machine-id' | 'hostname';
  hostname: string;
  deviceType: string | null;
  /** When the newest report was written (the device's clock, ISO 8601 UTC). */
  time: string;
  /** As the report names it; a newer writer's outcome stays as named. */
  outcome: string;
  outcomeWords: string;
  before: string | null;
  after: string | null;
  reason: RowReason | null;
  /**
   * The newest deployment outcome (installed, committed, rolled back, failed) when a later report
   * says something else: a visit after a commit finds the update already installed, and the commit
   * must still show.
   */
  lastUpdate: { outcome: string; outcomeWords: string; time: string; after: string | null } | null;
  /** The newest deployment outcome is `installed`: the device restarts into it, its boot check is to come. */
  bootCheckPending: boolean;
  /** Reports of this device read. */
  reports: number;
  /** The newest report's file. */
  file: string;
}

export interface ReportSummary {
  devices: DeviceRow[];
  /** Ids of the devices whose boot check is still pending. */
  pending: string[];
  refused: RefusedFile[];
  /** Report files read. */
  read: number;
}

/** Each outcome in plain words, as the technician page of the README shows them. */
export const OUTCOME_WORDS: Readonly<Record<ReportOutcome, string>> = {
  installed: 'installed; its boot check after the restart is still to come',
  committed: 'updated: the new software passed its boot check and is kept',
  'rolled-back': 'undone: the new software failed its boot check; the old software runs again',
  failed: 'update failed: the device runs what it ran before',
  nothing: 'nothing installed',
  'not-handled': 'stick not handled',
};

export function outcomeWords(outcome: string): string {
  return Object.hasOwn(OUTCOME_WORDS, outcome) ? OUTCOME_WORDS[outcome as ReportOutcome] : `${outcome} (an outcome of a newer usb-updater)`;
}

const KNOWN_CODES = new Set(hintTable().map(([code]) => code));

/** This version's words for a code it knows; for a newer code, the words its device wrote. */
function wordsFor(code: string, written: string): string {
  return KNOWN_CODES.has(code) ? hintFor(code) : written;
}

/** Why the newest outcome is what it is: the error, else (nothing installed) the stick's or the first file's reason. */
function reasonOf(report: StoredReport): RowReason | null {
  if (report.error !== null) return { code: report.error.code, words: wordsFor(report.error.code, report.error.hint), message: report.error.message };
  if (report.outcome !== 'nothing') return null;
  const rejected = report.candidates.filter((c) => !c.selected && c.verdict === 'reject').flatMap((c) => c.reasons.map((r) => ({ ...r, message: `${c.path}: ${r.message}` })));
  const first = report.mediaReasons[0] ?? rejected[0];
  if (first === undefined) return { code: null, words: report.hint, message: report.summary };
  return { code: first.code, words: wordsFor(first.code, first.hint), message: first.message };
}

const idOf = (report: StoredReport): { device: string; idKind: DeviceRow['idKind'] } =>
  report.device.machineId !== null && report.device.machineId !== '' ? { device: report.device.machineId, idKind: 'machine-id' } : { device: report.device.hostname, idKind: 'hostname' };

/**
 * Whether `a` is newer than `b`: by the time written, then by file name (names carry the time and a
 * -2, -3… for reports of the same second). A device without a real-time clock may write 1970 times;
 * its reports still order among themselves as its clock ran.
 */
function isNewer(a: ReadReportFile, b: ReadReportFile): boolean {
  const ta = Date.parse(a.report.time);
  const tb = Date.parse(b.report.time);
  if (ta !== tb) return ta > tb;
  const [na, nb] = [nameOrder(a.file), nameOrder(b.file)];
  return na.stem === nb.stem ? na.n > nb.n : na.stem > nb.stem;
}

/** `<device>-<time>Z[-N].json` (reportBaseName): the stem and N (1 when absent). */
function nameOrder(file: string): { stem: string; n: number } {
  const match = /^(.*Z)-(\d{1,9})\.json$/i.exec(file);
  return match ? { stem: match[1] ?? '', n: Number(match[2]) } : { stem: file.replace(/\.json$/i, ''), n: 1 };
}

/** Outcomes of a deployment: what a visit that found nothing new to install must not hide. */
const UPDATE_OUTCOMES: ReadonlySet<string> = new Set<ReportOutcome>(['installed', 'committed', 'rolled-back', 'failed']);

interface DeviceReports {
  newest: ReadReportFile;
  /** The newest report of a deployment's outcome, if any. */
  update: ReadReportFile | null;
  count: number;
}

const newer = (a: ReadReportFile | null, b: ReadReportFile | null): ReadReportFile | null => (a === null ? b : b === null ? a : isNewer(a, b) ? a : b);

/** One row per device, sorted by host name then id, from every report read. */
export function summarizeReports(files: readonly ReadReportFile[], refused: readonly RefusedFile[] = []): ReportSummary {
  const byDevice = new Map<string, DeviceReports>();
  for (const file of files) {
    const { device, idKind } = idOf(file.report);
    // Ids are per kind: a host name never merges with a machine id that happens to read the same.
    const key = `${idKind}:${device}`;
    const seen = byDevice.get(key);
    const update = UPDATE_OUTCOMES.has(file.report.outcome) ? file : null;
    if (seen === undefined) byDevice.set(key, { newest: file, update, count: 1 });
    else byDevice.set(key, { newest: newer(file, seen.newest) ?? file, update: newer(update, seen.update), count: seen.count + 1 });
  }
  const devices = [...byDevice.values()].map(({ newest, update, count }): DeviceRow => {
    const r = newest.report;
    return {
      ...idOf(r),
      hostname: r.device.hostname,
      deviceType: r.device.deviceType,
      time: r.time,
      outcome: r.outcome,
      outcomeWords: outcomeWords(r.outcome),
      before: r.artifact.before,
      after: r.artifact.after,
      reason: reasonOf(r),
      lastUpdate: update === null || update === newest ? null : { outcome: update.report.outcome, outcomeWords: outcomeWords(update.report.outcome), time: update.report.time, after: update.report.artifact.after },
      // The boot check reports on the stick the update came from before the visit's own report:
      // pending while the newest deployment outcome is still `installed`.
      bootCheckPending: update?.report.outcome === 'installed',
      reports: count,
      file: newest.file,
    };
  });
  devices.sort((a, b) => a.hostname.localeCompare(b.hostname) || a.device.localeCompare(b.device));
  return { devices, pending: devices.filter((d) => d.bootCheckPending).map((d) => d.device), refused: [...refused], read: files.length };
}
