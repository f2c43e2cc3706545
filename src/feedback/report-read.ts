// Reading back a report a device wrote to a stick (the JSON file; the .txt beside it says the same),
// for `usb-updater reports` on a laptop. The stick is untrusted: a file is taken only if it is a
// report of a format this version knows, whole and well-formed; anything else is refused with the
// reason, never half-read. Pure: the text comes in, a report or a refusal goes out.

import * as z from 'zod';
import { checkJsonBounds } from '../artifact/index.js';
import { isUpdaterError } from '../errors/index.js';
import { REPORT_FORMAT, type ReportOutcome } from './report.js';

/**
 * Every format a report writer of this project has written: only 1 so far (`git log -p
 * src/feedback/report.ts`: format 1 since the first writer, fe117d7; fields are only ever added).
 * A later format is refused (a newer usb-updater wrote it): never guessed at.
 */
export const READABLE_FORMATS: readonly number[] = [REPORT_FORMAT];

// A report nests 4 levels (candidates, reasons); 16 leaves room for added fields. Strings: paths and
// messages from a stick are short (names are bound at 1,024 characters, messages shortened).
const BOUNDS = { maxDepth: 16, maxString: 65_536 };

export const KNOWN_OUTCOMES: readonly ReportOutcome[] = ['installed', 'nothing', 'failed', 'not-handled', 'committed', 'rolled-back'];

const reason = z.object({ code: z.string().min(1).max(100), message: z.string(), hint: z.string() });
const text = z.string();

/** Format 1, as every writer so far wrote it: all of these fields, always. Unknown fields are ignored. */
const formatOne = z.object({
  format: z.literal(1),
  time: z.string().refine((t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(t) && !Number.isNaN(Date.parse(t)), 'not an ISO 8601 UTC time'),
  // Outcomes a newer writer may add are read and shown as they are named (a lower-case word).
  outcome: z.string().regex(/^[a-z][a-z-]{0,39}$/, 'not an outcome name'),
  summary: text,
  hint: text,
  device: z.object({ hostname: text, machineId: text.nullable(), deviceType: text.nullable() }),
  stick: z.record(z.string(), z.string()),
  artifact: z.object({ before: text.nullable(), after: text.nullable() }),
  reboot: z.string().nullable(),
  mediaReasons: z.array(reason),
  candidates: z.array(
    z.object({
      path: text,
      artifactName: text.nullable(),
      version: text.nullable(),
      verdict: z.string(),
      selected: z.boolean(),
      reasons: z.array(reason),
      notes: z.array(text),
    }),
  ),
  error: reason.nullable(),
});

/** A report as read back: format 1's fields (an outcome this version does not know stays a string). */
export type StoredReport = z.infer<typeof formatOne>;

export type ReadReport = { ok: true; report: StoredReport } | { ok: false; reason: string };

const refuse = (why: string): ReadReport => ({ ok: false, reason: why });

/** The first of zod's issues, with where it is: enough to tell which field is damaged. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'not a report';
  const where = issue.path.length === 0 ? 'the report' : issue.path.map(String).join('.');
  return `${where}: ${issue.message}`;
}

/** Reads the text of one report file: the report, or why it is refused. */
export function readReport(source: string): ReadReport {
  try {
    // Depth and string length before JSON.parse, so no later walk meets a hostile shape.
    checkJsonBounds(source, BOUNDS, 'the report');
  } catch (err) {
    if (isUpdaterError(err)) return refuse(err.message);
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    return refuse(`not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('not a report (not a JSON object)');
  const format = (value as { format?: unknown }).format;
  if (typeof format !== 'number' || !Number.isInteger(format) || format < 1) return refuse('not a report (no format number)');
  if (!READABLE_FORMATS.includes(format)) return refuse(`report format ${format}: written by a newer usb-updater, which reads it`);
  const parsed = formatOne.safeParse(value);
  if (!parsed.success) return refuse(`damaged: ${firstIssue(parsed.error)}`);
  return { ok: true, report: parsed.data };
}
