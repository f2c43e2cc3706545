// Public surface of what a technician sees: the report written to the stick.
export { buildReport, renderReportJson, reportBaseName, safeDeviceName, REPORT_FORMAT, type Report, type ReportCandidate, type ReportInput, type ReportOutcome, type ReportReason } from './report.js';
export { asciiSafe, renderReportText } from './report-text.js';
export { GENERIC_HINT, hintFor, hintTable } from './report-hints.js';
