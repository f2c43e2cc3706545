// Reading the report files of a stick (or of a copy of its report folder) on a laptop, and writing
// the summary page. The stick is untrusted: a folder or file that is a link is not followed, every
// file is read by readBoundedFile (src/system/os/files.ts: a FIFO or device refused, never waited
// on; read up to a size bound) and decoded as strict UTF-8; each refusal names the file and why, the
// others are read.

import { lstat, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UpdaterError } from '../../errors/index.js';
import { readBoundedFile } from '../os/files.js';
import { DEFAULT_REPORT_FOLDER } from './report-writer.js';

/** A report is a few KiB; one listing 10,000 files with a reason each stays far below this. */
export const MAX_REPORT_BYTES = 16 * 1024 * 1024;
/** Most report files read from one folder (by name order); a round of devices writes a few each. */
export const MAX_REPORT_FILES = 10_000;

export interface ReportFileText {
  /** The path as the technician gave it, joined with the file's name. */
  file: string;
  text: string;
}

export interface ReportFilesRead {
  files: ReportFileText[];
  refused: { file: string; reason: string }[];
  /** The folders (or single files) read. */
  sources: string[];
}

export interface ReportFileOptions {
  /** The report folder's name at the root of a stick (config `report.folder`). */
  folder?: string;
  maxBytes?: number;
  maxFiles?: number;
}

const errnoOf = (err: unknown): string => (err as NodeJS.ErrnoException | null)?.code ?? (err as Error).message;

/** The whole text of one report file, or why not; `path` is bytes, as the folder listed it. */
async function readOne(path: Buffer, maxBytes: number): Promise<{ text: string } | { reason: string }> {
  const read = await readBoundedFile(path, maxBytes);
  switch (read.status) {
    case 'ok':
      try {
        return { text: new TextDecoder('utf-8', { fatal: true }).decode(read.bytes) };
      } catch {
        return { reason: 'not UTF-8 text' };
      }
    case 'link':
      // A link planted on the stick is not followed to a file of the laptop.
      return { reason: 'a link: not followed' };
    case 'not-regular':
      return { reason: `${read.kind}, not a regular file` };
    case 'too-large':
      return { reason: `${read.size} bytes, over the ${maxBytes}-byte limit of a report` };
    case 'grew':
      return { reason: 'grew while it was read' };
    case 'missing':
      return { reason: 'cannot be opened (ENOENT)' };
    case 'other-device':
      return { reason: 'not on the stick' };
    case 'failed':
      return { reason: `cannot be ${read.step === 'open' ? 'opened' : 'read'} (${read.errno})` };
  }
}

const isReportName = (name: Buffer): boolean => name[0] !== 0x2e && name.toString('latin1').toLowerCase().endsWith('.json');

/** Reads every report file of the folder `dir` (shown as `shown`) into `into`. */
async function readFolder(dir: string, shown: string, into: ReportFilesRead, options: Required<ReportFileOptions>): Promise<void> {
  let names: Buffer[];
  try {
    // Names as bytes: a name that is not UTF-8 still opens, and is shown with its odd characters.
    names = (await readdir(dir, { encoding: 'buffer' })).filter(isReportName).sort((a, b) => Buffer.compare(a, b));
  } catch (err) {
    throw new UpdaterError('IO_ERROR', `${shown}: the folder cannot be read (${errnoOf(err)})`, { cause: err });
  }
  if (names.length > options.maxFiles) {
    into.refused.push({ file: shown, reason: `${names.length} report files: only the first ${options.maxFiles} by name were read` });
    names = names.slice(0, options.maxFiles);
  }
  into.sources.push(shown);
  for (const name of names) {
    const file = join(shown, name.toString('utf8'));
    const result = await readOne(Buffer.concat([Buffer.from(`${dir}/`), name]), options.maxBytes);
    if ('text' in result) into.files.push({ file, text: result.text });
    else into.refused.push({ file, reason: result.reason });
  }
}

/**
 * Reads the reports under each of `paths`: a stick's mount point (its report folder is read), a
 * report folder (a copy of one), or one report file. A path that cannot be read at all is IO_ERROR;
 * a file inside that cannot be read is refused with its reason and the others are read.
 */
export async function readReportFiles(paths: readonly string[], options: ReportFileOptions = {}): Promise<ReportFilesRead> {
  const settings = { folder: options.folder ?? DEFAULT_REPORT_FOLDER, maxBytes: options.maxBytes ?? MAX_REPORT_BYTES, maxFiles: options.maxFiles ?? MAX_REPORT_FILES };
  const into: ReportFilesRead = { files: [], refused: [], sources: [] };
  for (const path of paths) {
    let stats;
    try {
      // The paths themselves are the technician's: followed if links, as any command does.
      stats = await stat(path);
    } catch (err) {
      throw new UpdaterError('IO_ERROR', `${path}: ${errnoOf(err) === 'ENOENT' ? 'no such file or folder' : `cannot be read (${errnoOf(err)})`}`, { cause: err });
    }
    if (!stats.isDirectory()) {
      const result = await readOne(Buffer.from(path), settings.maxBytes);
      into.sources.push(path);
      if ('text' in result) into.files.push({ file: path, text: result.text });
      else into.refused.push({ file: path, reason: result.reason });
      continue;
    }
    const sub = join(path, settings.folder);
    const inner = await lstat(sub).catch(() => null);
    if (inner?.isSymbolicLink()) into.refused.push({ file: sub, reason: 'a link: not followed' });
    else if (inner?.isDirectory()) await readFolder(sub, sub, into, settings);
    else await readFolder(path, path, into, settings);
  }
  return into;
}

/** Writes the summary page to `path` (replaced if it exists). */
export async function writeSummaryPage(path: string, html: string): Promise<void> {
  try {
    await writeFile(path, html);
  } catch (err) {
    throw new UpdaterError('IO_ERROR', `${path}: the page cannot be written (${errnoOf(err)})`, { cause: err });
  }
}
