// The report as a short text file a technician opens on any laptop. Plain ASCII: everything the
// stick or an artifact chose (file names, artifact names, labels, messages quoting them) is shown
// escaped, so no control character, bidirectional override or odd encoding can hide or rewrite a
// line of the report; a name that needed escaping is visibly odd, which is the point.

import type { Report, ReportCandidate, ReportReason } from './report.js';

/** Printable ASCII stays; anything else (controls, DEL, non-ASCII) becomes \uXXXX. */
export function asciiSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (c) => {
    const point = c.codePointAt(0) ?? 0;
    return point > 0xffff ? `\\u{${point.toString(16)}}` : `\\u${point.toString(16).padStart(4, '0')}`;
  });
}

const OUTCOME_TITLE: Record<Report['outcome'], string> = {
  installed: 'UPDATE INSTALLED',
  nothing: 'NOTHING INSTALLED',
  failed: 'UPDATE FAILED',
  'not-handled': 'STICK NOT HANDLED',
  committed: 'UPDATE DONE',
  'rolled-back': 'UPDATE UNDONE',
};

function reasonLines(reason: ReportReason, indent: string): string[] {
  return [`${indent}${reason.code}: ${asciiSafe(reason.message)}`, `${indent}  what to do: ${reason.hint}`];
}

function candidateLines(c: ReportCandidate): string[] {
  const verdict = c.selected ? 'CHOSEN' : c.verdict.toUpperCase();
  const artifact = c.artifactName === null ? '' : `  ${asciiSafe(c.artifactName)}${c.version === null ? '' : ` (version ${asciiSafe(c.version)})`}`;
  return [`  ${verdict.padEnd(7)} ${asciiSafe(c.path)}${artifact}`, ...c.reasons.flatMap((r) => reasonLines(r, '          ')), ...c.notes.map((n) => `          note: ${asciiSafe(n)}`)];
}

const orNone = (value: string | null): string => (value === null ? '(unknown)' : asciiSafe(value));

/** The text file; lines end with CRLF so that every editor on every laptop shows them as lines. */
export function renderReportText(report: Report): string {
  const stick = Object.entries(report.stick).map(([k, v]) => `${k} ${asciiSafe(v)}`).join(', ');
  const lines = [
    `usb-updater report: ${OUTCOME_TITLE[report.outcome]}`,
    '',
    asciiSafe(report.summary),
    `What to do: ${asciiSafe(report.hint)}`,
    '',
    `Time:            ${report.time.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`,
    `Device:          ${asciiSafe(report.device.hostname)} (machine id ${orNone(report.device.machineId)})`,
    `Device type:     ${orNone(report.device.deviceType)}`,
    `Software before: ${orNone(report.artifact.before)}`,
    `Software after:  ${orNone(report.artifact.after)}${report.outcome === 'installed' ? ' (to be checked after the restart)' : ''}`,
    `Stick:           ${stick === '' ? '(unknown)' : stick}`,
  ];
  if (report.error) lines.push('', 'Error:', ...reasonLines(report.error, '  '));
  if (report.mediaReasons.length > 0) lines.push('', 'The stick itself was refused:', ...report.mediaReasons.flatMap((r) => reasonLines(r, '  ')));
  if (report.candidates.length > 0) lines.push('', `Files looked at on the stick (${report.candidates.length}):`, ...report.candidates.flatMap(candidateLines));
  const diagnostics = report.diagnostics;
  if (diagnostics?.status === 'written') lines.push('', `Diagnostics: written to the folder ${asciiSafe(diagnostics.folder)} beside this report (${diagnostics.files} files, ${diagnostics.bytes} bytes)`);
  else if (diagnostics?.status === 'refused') lines.push('', 'Diagnostics request refused:', ...reasonLines(diagnostics, '  '));
  else if (diagnostics?.status === 'not-written') lines.push('', `Diagnostics: not written: ${asciiSafe(diagnostics.message)}`);
  lines.push('', `(report format ${report.format}; the .json file beside this one holds the same)`);
  return lines.map((l) => `${l}\r\n`).join('');
}
