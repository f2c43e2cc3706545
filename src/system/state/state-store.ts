// The state folder on disk (/data/usb-updater by default, the `state.dir` config key): atomic replacement and fsynced
// appends for the journal and the ledger, and the deployment lock that survives crashes.
// Every file operation goes through `FileOps`, so tests can stop or fail it at any step.

import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { UpdaterError } from '../../errors/index.js';
import type { StateFile, StateStore } from '../../state/index.js';

export const DEFAULT_STATE_DIR = '/data/usb-updater';
export const LOCK_FILE = 'lock';
/** Far above any journal or a ledger of thousands of entries; a bigger file is not ours. */
const MAX_STATE_FILE_BYTES = 16 * 1024 * 1024;

/** The file operations the store uses: node:fs/promises, or a wrapper that injects faults. */
export type FileOps = Pick<typeof fsp, 'open' | 'rename' | 'unlink' | 'link' | 'mkdir'>;

const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

function writeFailed(path: string, err: unknown): UpdaterError {
  return new UpdaterError('STATE_WRITE_FAILED', `${path}: ${errnoOf(err) ?? (err as Error).message}; the previous content is intact`, { cause: err });
}

async function unlinkQuietly(ops: FileOps, path: string): Promise<void> {
  try {
    await ops.unlink(path);
  } catch {
    // Best effort: a leftover temp file is overwritten by the next write and never read.
  }
}

/** Writes `data` to `path` and fsyncs it before closing: the bytes are on disk when this returns. */
async function writeSynced(ops: FileOps, path: string, data: string, flags: number): Promise<void> {
  const handle = await ops.open(path, flags | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.write(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a folder, so that a rename or a new name in it survives a power cut. */
async function syncDir(ops: FileOps, dir: string): Promise<void> {
  const handle = await ops.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readIfExists(ops: FileOps, path: string): Promise<string | null> {
  let handle: fsp.FileHandle;
  try {
    // O_NONBLOCK: a FIFO put where a state file belongs is refused by its fstat, never waited on.
    handle = await ops.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw new UpdaterError('IO_ERROR', `${path}: ${errnoOf(err) ?? (err as Error).message}`, { cause: err });
  }
  try {
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new UpdaterError('STATE_CORRUPT', `${path}: not a regular file`);
      if (stats.size > MAX_STATE_FILE_BYTES) throw new UpdaterError('STATE_CORRUPT', `${path}: ${stats.size} bytes, more than a state file can hold`);
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof UpdaterError) throw err;
    throw new UpdaterError('IO_ERROR', `${path}: ${errnoOf(err) ?? (err as Error).message}`, { cause: err });
  }
}

/** The journal and ledger files in `dir`, which must be on the data partition both slots share. */
export function fileStateStore(dir: string, ops: FileOps = fsp): StateStore {
  const pathOf = (file: string): string => join(dir, file);
  return {
    read: (file) => readIfExists(ops, pathOf(file)),

    async replace(file: StateFile, data: string): Promise<void> {
      const target = pathOf(file);
      const temp = `${target}.tmp`;
      try {
        await ops.mkdir(dir, { recursive: true, mode: 0o700 });
        // Order matters: the temp file is complete on disk before the rename makes it the file, and
        // the folder is synced after, so the new name survives a power cut. A crash before the
        // rename leaves the old file as it was; the stale temp file is truncated by the next write.
        await writeSynced(ops, temp, data, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC);
        await ops.rename(temp, target);
        await syncDir(ops, dir);
      } catch (err) {
        await unlinkQuietly(ops, temp);
        throw writeFailed(target, err);
      }
    },

    async append(file: StateFile, data: string): Promise<void> {
      const target = pathOf(file);
      try {
        await ops.mkdir(dir, { recursive: true, mode: 0o700 });
        await writeSynced(ops, target, data, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND);
        // The file may be new: its name must survive too.
        await syncDir(ops, dir);
      } catch (err) {
        throw writeFailed(target, err);
      }
    },

    async setAside(file: StateFile): Promise<string> {
      const target = pathOf(file);
      const aside = `${target}.bad`;
      try {
        await ops.rename(target, aside);
        await syncDir(ops, dir);
      } catch (err) {
        throw writeFailed(target, err);
      }
      return aside;
    },
  };
}
