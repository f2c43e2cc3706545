// The one way every command loads the config: problems are printed to stderr as
// FILE:LINE:COL key.path: message, all of them, then CONFIG_INVALID is thrown.

import { printable } from '../log/index.js';
import type { ConfigProblem, LoadedConfig } from '../policy/index.js';
import { formatProblem } from '../policy/index.js';
import { loadConfigFile } from '../system/config/config-file.js';
import type { Io } from './io.js';

export function reportProblems(problems: readonly ConfigProblem[], io: Io): void {
  for (const problem of problems) io.stderr.write(`${printable(formatProblem(problem))}\n`);
}

export function loadPolicy(path: string, io: Io): Promise<LoadedConfig> {
  return loadConfigFile(path, (problems) => reportProblems(problems, io));
}
