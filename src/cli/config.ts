// `usb-updater config check [FILE]`, and the one way every command loads the config: problems are
// printed to stderr as FILE:LINE:COL key.path: message, all of them, then CONFIG_INVALID is thrown.

import { UpdaterError } from '../errors/index.js';
import type { CollectOptions } from '../media/index.js';
import { formatProblem, pathRule, type ConfigProblem, type LoadedConfig } from '../policy/index.js';
import { readConfigFile } from '../system/config/config-file.js';
import type { Io } from './io.js';
import { printable } from './printable.js';

function reportProblems(problems: readonly ConfigProblem[], io: Io): void {
  for (const problem of problems) io.stderr.write(`${printable(formatProblem(problem))}\n`);
}

const countOf = (problems: readonly ConfigProblem[]): string => `${problems.length} error${problems.length === 1 ? '' : 's'}`;

/** How a stick is searched and its headers read, by the config (with a fresh search.timeout deadline). */
export function searchOptions(loaded: LoadedConfig): CollectOptions {
  const { search } = loaded.config;
  return { rule: pathRule(search), maxDepth: search.max_depth, maxEntries: search.max_entries, keys: loaded.keys, signal: AbortSignal.timeout(search.timeout) };
}

export async function loadPolicy(path: string, io: Io): Promise<LoadedConfig> {
  const result = await readConfigFile(path);
  if (result.ok) return result.loaded;
  reportProblems(result.problems, io);
  throw new UpdaterError('CONFIG_INVALID', `${path}: ${countOf(result.problems)}`);
}

/** Validates `path`; returns the exit code (0 valid, 1 invalid). An unreadable file throws IO_ERROR. */
export async function configCheck(path: string, options: { json: boolean }, io: Io): Promise<number> {
  const result = await readConfigFile(path);
  const problems = result.ok ? [] : result.problems;
  if (options.json) io.stdout.write(JSON.stringify({ file: path, valid: result.ok, problems }, null, 2) + '\n');
  else if (result.ok) io.stdout.write(`${printable(path)}: valid (${result.loaded.keys.length} signature key${result.loaded.keys.length === 1 ? '' : 's'})\n`);
  reportProblems(problems, io);
  if (!result.ok) io.stderr.write(`usb-updater: error CONFIG_INVALID: ${printable(path)}: ${countOf(problems)}\n`);
  return result.ok ? 0 : 1;
}
