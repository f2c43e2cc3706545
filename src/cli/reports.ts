// `usb-updater reports PATH...`: reads every report file under the paths, refuses the damaged ones
// file by file, and prints one row per device (text or JSON), optionally writing the HTML page.

import { readReport, renderSummaryHtml, renderSummaryText, summarizeReports, type ReadReportFile, type RefusedFile } from '../feedback/index.js';
import { printable, shorten } from '../log/index.js';
import { readReportFiles, writeSummaryPage } from '../system/report/report-files.js';
import { REPORTS_EXIT } from './exit-codes.js';
import type { Io } from './io.js';

export async function reports(paths: readonly string[], options: { json: boolean; html?: string }, io: Io): Promise<number> {
  const read = await readReportFiles(paths);
  const files: ReadReportFile[] = [];
  const refused: RefusedFile[] = [...read.refused];
  for (const { file, text } of read.files) {
    const result = readReport(text);
    if (result.ok) files.push({ file, report: result.report });
    else refused.push({ file, reason: result.reason });
  }
  const summary = summarizeReports(files, refused);
  if (options.html !== undefined) await writeSummaryPage(options.html, renderSummaryHtml(summary, new Date().toISOString()));
  if (options.json) io.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else io.stdout.write(renderSummaryText(summary));
  if (files.length === 0 && refused.length === 0) {
    io.stderr.write(`usb-updater: no report found in ${read.sources.length === 0 ? 'the paths given' : read.sources.map((s) => printable(shorten(s))).join(', ')}\n`);
    return REPORTS_EXIT.NONE;
  }
  return refused.length > 0 ? REPORTS_EXIT.REFUSED : REPORTS_EXIT.OK;
}
