// `usb-updater config check [FILE]`: validates a config file and prints every problem.

import { printable } from '../log/index.js';
import { countOf, readConfigFile } from '../system/config/config-file.js';
import type { Io } from './io.js';
import { reportProblems } from './load-config.js';

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
