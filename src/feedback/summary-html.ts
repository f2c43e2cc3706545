// The summary of a stick's reports as one self-contained HTML page a technician opens and hands over:
// inline CSS, no script, nothing fetched (a Content-Security-Policy forbids both, should anything slip
// through). Every text a stick wrote is escaped here, at the one place text becomes markup: a hostile
// report cannot add an element or an attribute. Class names come from a fixed table, never the stick.

import { printable, shorten } from '../log/index.js';
import type { DeviceRow, ReportSummary } from './report-summary.js';
import { shortTime } from './summary-text.js';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text as HTML text or a quoted attribute value: the five markup characters become entities, and
 * control and format characters (bidi overrides, NUL) are shown as \uXXXX, as in the text report,
 * so what the page shows is what the bytes say.
 */
export function escapeHtml(text: string): string {
  // printable() first: its escapes hold no markup character, so the entities come out whole.
  return printable(text).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const t = (text: string | null, max = 200): string => escapeHtml(shorten(text ?? '(unknown)', max));

const OUTCOME_CLASS: Readonly<Record<string, string>> = {
  installed: 'pending',
  committed: 'good',
  'rolled-back': 'bad',
  failed: 'bad',
  nothing: 'none',
  'not-handled': 'bad',
};

const STYLE = `
body{font-family:sans-serif;margin:1.5em;color:#111;background:#fff}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #999;padding:.35em .5em;text-align:left;vertical-align:top;font-size:15px}
th{background:#e8e8e8}
td.good{background:#d9f2d9}td.bad{background:#f8d7d7}td.pending{background:#fff3c4}td.none{background:#eee}
.last{margin-top:.3em;font-size:13px}
.id,.msg{font-family:monospace;font-size:12px;color:#444;overflow-wrap:anywhere}
code{font-weight:bold}
`.trim();

function reasonCell(row: DeviceRow): string {
  const r = row.reason;
  if (r === null) return '<td>-</td>';
  const code = r.code === null ? '' : `<code>${t(r.code, 100)}</code>: `;
  return `<td>${code}${t(r.words, 400)}<div class="msg">${t(r.message, 400)}</div></td>`;
}

function lastUpdate(row: DeviceRow): string {
  const last = row.lastUpdate;
  return last === null ? '' : `<div class="last">last update: ${t(last.outcomeWords)} (${t(last.after, 100)}, ${t(shortTime(last.time))})</div>`;
}

function deviceRow(row: DeviceRow): string {
  const id = row.idKind === 'machine-id' ? `<div class="id">${t(row.device, 80)}</div>` : '';
  // The colour tells where the device's update stands: a later visit that found nothing new keeps it.
  const shown = row.lastUpdate?.outcome ?? row.outcome;
  const outcomeClass = Object.hasOwn(OUTCOME_CLASS, shown) ? OUTCOME_CLASS[shown] : 'none';
  return [
    '<tr>',
    `<td>${t(row.hostname, 80)}${id}</td>`,
    `<td>${t(row.deviceType, 60)}</td>`,
    `<td>${t(shortTime(row.time))}</td>`,
    `<td class="${outcomeClass ?? 'none'}">${t(row.outcomeWords)}${lastUpdate(row)}</td>`,
    `<td>${t(row.before, 100)}</td>`,
    `<td>${t(row.after, 100)}</td>`,
    reasonCell(row),
    '</tr>',
  ].join('');
}

/** The page; `generatedAt` (ISO 8601) is when the summary was made, on the laptop's clock. */
export function renderSummaryHtml(summary: ReportSummary, generatedAt: string): string {
  const pending = summary.devices.filter((d) => d.bootCheckPending);
  const body = [
    '<h1>usb-updater: reports on the stick</h1>',
    `<p>${summary.devices.length} device(s), ${summary.read} report(s) read, ${summary.refused.length} file(s) refused. Made ${t(shortTime(generatedAt))} UTC; times are the devices' clocks, in UTC.</p>`,
    '<table>',
    '<thead><tr><th>Device</th><th>Type</th><th>Time (UTC)</th><th>Outcome</th><th>Software before</th><th>Software after</th><th>Reason</th></tr></thead>',
    `<tbody>${summary.devices.map(deviceRow).join('\n')}</tbody>`,
    '</table>',
    '<h2>Boot check pending</h2>',
    pending.length === 0
      ? '<p>None.</p>'
      : `<p>These devices restart into the update, check it and keep it or undo it. Plug this stick in again afterwards to bring back the outcome.</p><ul>${pending.map((d) => `<li>${t(d.hostname, 80)} <span class="id">${t(d.device, 80)}</span>: ${t(d.after, 100)}</li>`).join('')}</ul>`,
  ];
  if (summary.refused.length > 0) body.push('<h2>Files refused</h2>', `<ul>${summary.refused.map((r) => `<li><span class="msg">${t(r.file, 200)}</span>: ${t(r.reason, 400)}</li>`).join('')}</ul>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Nothing but the inline style may load or run, whatever the page holds.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<title>usb-updater reports</title>',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
