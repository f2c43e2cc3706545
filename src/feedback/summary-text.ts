// The summary of a stick's reports as text for a terminal: one aligned row per device, its reason
// below it, then the devices whose boot check is pending and the files refused. Everything a stick
// wrote goes through printable() and shorten(): no control character reaches the terminal, no long
// name floods it.

import { printable, shorten } from '../log/index.js';
import type { DeviceRow, ReportSummary } from './report-summary.js';

const cell = (text: string | null, max = 48): string => printable(shorten(text ?? '(unknown)', max));

/** 2026-11-27 10:00:05: the time as the report wrote it, in UTC (its T and Z dropped). */
export const shortTime = (iso: string): string => iso.slice(0, 19).replace('T', ' ');

export const deviceLabel = (row: DeviceRow): string => `${row.hostname}${row.idKind === 'machine-id' ? ` (${row.device})` : ''}`;

function reasonLine(row: DeviceRow): string | null {
  const reason = row.reason;
  if (reason === null) return null;
  const code = reason.code === null ? '' : `${reason.code}: `;
  return `    ${code}${cell(reason.words, 400)} [${cell(reason.message, 200)}]`;
}

function table(rows: readonly string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

export function renderSummaryText(summary: ReportSummary): string {
  const lines: string[] = [];
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  lines.push(`${count(summary.devices.length, 'device')}, ${count(summary.read, 'report')} read${summary.refused.length > 0 ? `, ${count(summary.refused.length, 'file')} refused` : ''}`);
  if (summary.devices.length > 0) {
    lines.push('');
    const header = ['DEVICE', 'TYPE', 'TIME (UTC)', 'OUTCOME', 'SOFTWARE BEFORE -> AFTER'];
    const rows = summary.devices.map((d) => [cell(deviceLabel(d), 80), cell(d.deviceType, 32), shortTime(d.time), cell(d.outcome, 24), `${cell(d.before)} -> ${cell(d.after)}`]);
    const formatted = table([header, ...rows]);
    lines.push(formatted[0] ?? '');
    summary.devices.forEach((d, i) => {
      lines.push(formatted[i + 1] ?? '', `    ${cell(d.outcomeWords, 200)}`);
      if (d.lastUpdate !== null) lines.push(`    last update: ${cell(d.lastUpdate.outcomeWords, 200)} (${cell(d.lastUpdate.after)}, ${shortTime(d.lastUpdate.time)})`);
      const reason = reasonLine(d);
      if (reason !== null) lines.push(reason);
    });
  }
  lines.push('');
  const pending = summary.devices.filter((d) => d.bootCheckPending);
  if (pending.length === 0) lines.push('Boot check pending: none');
  else lines.push(`Boot check pending (${pending.length}): the device restarts into the update, checks it and keeps it or undoes it; plug this stick in again afterwards to bring back the outcome`, ...pending.map((d) => `  ${cell(deviceLabel(d), 80)}: ${cell(d.after)}`));
  if (summary.refused.length > 0) {
    lines.push('', `Files refused (${summary.refused.length}):`, ...summary.refused.map((r) => `  ${cell(r.file, 120)}: ${cell(r.reason, 300)}`));
  }
  return lines.join('\n') + '\n';
}
