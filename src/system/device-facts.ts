// The facts the Mender client itself uses to accept an artifact: the device type from its
// device_type file, and the current provides as `mender show-provides` prints them.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UpdaterError } from '../errors/index.js';
import { readSmallTextFile } from './files.js';

/** `device_type=NAME` (Mender's format; the first such line counts). */
export function parseDeviceTypeFile(text: string, path: string): string {
  for (const line of text.split('\n')) {
    const match = /^\s*device_type\s*=\s*(.*?)\s*$/.exec(line);
    if (match?.[1]) return match[1];
  }
  throw new UpdaterError('IO_ERROR', `${path}: no device_type=NAME line`);
}

export async function readDeviceType(path: string): Promise<string> {
  return parseDeviceTypeFile(await readSmallTextFile(path, 64 * 1024), path);
}

/** `key=value` lines, as `mender show-provides` prints them. */
export function parseProvides(text: string): Record<string, string> {
  const provides: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) provides[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return provides;
}

/** The device's provides from the Mender client (3.x `mender`, else 4.x+ `mender-update`). */
export async function showProvides(): Promise<Record<string, string>> {
  let lastError: unknown;
  for (const client of ['mender', 'mender-update']) {
    try {
      const { stdout } = await promisify(execFile)(client, ['show-provides'], { timeout: 30_000, maxBuffer: 1024 * 1024 });
      return parseProvides(stdout);
    } catch (err) {
      lastError = err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') break;
    }
  }
  throw new UpdaterError('IO_ERROR', `cannot read the device's provides from the Mender client (${(lastError as Error).message.split('\n')[0] ?? ''}); pass --device-type and --provides`, { cause: lastError });
}
