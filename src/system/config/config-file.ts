// Reads the config file and its key files from disk and hands them to the (pure) policy loader.
// The policy (zod, yaml) loads on the first read: DEFAULT_CONFIG_PATH alone costs nothing to import.

import type { LoadResult } from '../../policy/index.js';
import { readSmallTextFile } from '../os/files.js';

export const DEFAULT_CONFIG_PATH = '/etc/usb-updater/config.yaml';
const CONFIG_MAX = 1024 * 1024;
const KEY_MAX = 64 * 1024;

/** Loads `path`; an unreadable config file throws IO_ERROR, a bad one returns its problems. */
export async function readConfigFile(path: string): Promise<LoadResult> {
  const [text, { loadConfig }] = await Promise.all([readSmallTextFile(path, CONFIG_MAX), import('../../policy/index.js')]);
  return loadConfig(text, path, { readKeyFile: (keyPath) => readSmallTextFile(keyPath, KEY_MAX) });
}
