// The facts the Mender client itself uses to accept an artifact: the device type from its
// device_type file, and the current provides as `mender show-provides` prints them.

import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { UpdaterError } from '../../errors/index.js';
import { readSmallTextFile } from '../os/files.js';

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

/** Where Mender keeps the name of the image a device was built with (the path is hard-coded in the client). */
export const ARTIFACT_INFO_PATH = '/etc/mender/artifact_info';

/**
 * The device's provides from the Mender client (3.x `mender`, else 4.x+ `mender-update`). A device
 * that was never updated prints nothing at all (measured with 3.4), though the client itself takes
 * its artifact_name from /etc/mender/artifact_info; so do we.
 */
export async function deviceProvides(artifactInfoPath = ARTIFACT_INFO_PATH): Promise<Record<string, string>> {
  const provides = await showProvides();
  if (provides['artifact_name'] !== undefined) return provides;
  try {
    const info = parseProvides(await readSmallTextFile(artifactInfoPath, 64 * 1024));
    if (info['artifact_name'] !== undefined) provides['artifact_name'] = info['artifact_name'];
  } catch {
    // No artifact_info: the running name stays unknown, and decide() says so.
  }
  return provides;
}

async function showProvides(): Promise<Record<string, string>> {
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

/** The client's store (LMDB, in its datadir): every install, commit and rollback writes it. */
export const MENDER_STORE_PATH = '/var/lib/mender/mender-store';

/**
 * A stamp of what the provides are made of: the client's store and artifact_info (inode, size and
 * modification time of each; "-" for one that is missing). Measured with 3.4: install and rollback
 * change the store's; show-provides and show-artifact leave it as it is.
 */
export async function providesStamp(paths: readonly string[] = [MENDER_STORE_PATH, ARTIFACT_INFO_PATH]): Promise<string> {
  const parts = await Promise.all(paths.map(async (path) => {
    try {
      const stats = await stat(path, { bigint: true });
      return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
    } catch {
      return '-';
    }
  }));
  return parts.join(' ');
}
