// Whether the files that decide what gets installed and committed can be trusted: the config, the
// signature keys and the state (journal, ledger, lock). When usb-updater runs as root, each must be
// owned by root and writable by no one else, and so must the folder holding it (whoever can write
// the folder can replace the file): otherwise any local user could swap the key and have their image
// installed, or edit the journal and have an untested one committed. Like RAUC's check_bundle_access.
// Not checked when not running as root: the files are then only as trusted as that user anyway.

import type { Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import { UpdaterError } from '../../errors/index.js';

export interface TrustedFile {
  /** What the file is, for the message: `config`, `signature key`, `state folder`… */
  what: string;
  path: string;
  /** Absent is fine (state files before the first install); otherwise absent is an error elsewhere. */
  mayBeAbsent?: boolean;
}

export interface TrustOptions {
  /** The effective uid (default: this process's); the check runs only for 0. */
  uid?: number;
  stat?: (path: string) => Promise<Stats>;
  realpath?: (path: string) => Promise<string>;
}

const S_ISVTX = 0o1000;

/** What is wrong with one file or folder, or null. A sticky folder (/tmp) protects root's files in it. */
function problemOf(stats: Stats, isParent: boolean): string | null {
  if (stats.uid !== 0) return `owned by uid ${stats.uid}, not root`;
  const writable = [stats.mode & 0o020 ? 'group' : '', stats.mode & 0o002 ? 'others' : ''].filter((w) => w !== '');
  if (writable.length === 0 || (isParent && (stats.mode & S_ISVTX) !== 0)) return null;
  return `writable by ${writable.join(' and ')} (mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')})`;
}

/**
 * Throws CONFIG_UNSAFE_PERMISSIONS naming the first file (or its folder) that someone other than
 * root could change. Symbolic links are followed: the file that is read is the one that counts.
 */
export async function assertRootOnly(files: readonly TrustedFile[], options: TrustOptions = {}): Promise<void> {
  const uid = options.uid ?? process.geteuid?.() ?? -1;
  if (uid !== 0) return;
  const stat = options.stat ?? ((path: string) => fsp.stat(path));
  const realpath = options.realpath ?? ((path: string) => fsp.realpath(path));
  for (const file of files) {
    let real: string;
    try {
      real = await realpath(file.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && file.mayBeAbsent === true) continue;
      throw new UpdaterError('IO_ERROR', `${file.what} ${file.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
    for (const [path, isParent] of [[real, false], [dirname(real), true]] as const) {
      const problem = problemOf(await stat(path), isParent);
      if (problem === null) continue;
      const where = isParent ? `the folder ${path} holding ${file.what} ${file.path}` : `${file.what} ${file.path}${real === file.path ? '' : ` (${real})`}`;
      throw new UpdaterError('CONFIG_UNSAFE_PERMISSIONS', `${where} is ${problem}: only root may be able to change it (chown root:root, chmod go-w)`);
    }
  }
}
