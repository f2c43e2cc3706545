// Reads the config file and its key files from disk and hands them to the (pure) policy loader: the
// one way every command and the daemon's config following load a config.
// The policy (zod, yaml) loads on the first read: DEFAULT_CONFIG_PATH alone costs nothing to import.

import { existsSync } from 'node:fs';
import { UpdaterError } from '../../errors/index.js';
import type { ConfigProblem, LoadedConfig, LoadResult } from '../../policy/index.js';
import { readSmallTextFile } from '../os/files.js';

export const DEFAULT_CONFIG_PATH = '/etc/usb-updater/config.yaml';
const CONFIG_MAX = 1024 * 1024;
const KEY_MAX = 64 * 1024;

/** Loads `path`; an unreadable config file throws IO_ERROR, a bad one returns its problems. */
export async function readConfigFile(path: string): Promise<LoadResult> {
  const [text, { loadConfig }] = await Promise.all([readSmallTextFile(path, CONFIG_MAX), import('../../policy/index.js')]);
  return loadConfig(text, path, { readKeyFile: (keyPath) => readSmallTextFile(keyPath, KEY_MAX) });
}

/**
 * Loads `path` or throws CONFIG_INVALID. With `report`, the problems are handed to it (the CLI
 * prints each as FILE:LINE:COL) and the error counts them; without, the error names every one.
 */
export async function loadConfigFile(path: string, report?: (problems: readonly ConfigProblem[]) => void): Promise<LoadedConfig> {
  const result = await readConfigFile(path);
  if (result.ok) return result.loaded;
  if (report !== undefined) {
    report(result.problems);
    throw new UpdaterError('CONFIG_INVALID', `${path}: ${countOf(result.problems)}`);
  }
  const { formatProblem } = await import('../../policy/index.js');
  throw new UpdaterError('CONFIG_INVALID', result.problems.map(formatProblem).join('; '));
}

export const countOf = (problems: readonly ConfigProblem[]): string => `${problems.length} error${problems.length === 1 ? '' : 's'}`;

/** DEFAULT_CONFIG_PATH when that file exists: the daemon's config when none is named. */
export function defaultConfigIfPresent(): string | undefined {
  return existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined;
}
