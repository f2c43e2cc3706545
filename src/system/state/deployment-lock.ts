// The deployment lock: one deployment at a time, across processes and crashes. A file `lock` in the
// state folder names its holder (pid, the pid's start time, boot id); a holder that is dead, or
// from another boot, is stale and its lock is taken over.

import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { UpdaterError } from '../../errors/index.js';
import { readProcessStartTime } from './boot-id.js';
import { LOCK_FILE, type FileOps } from './state-store.js';

export interface LockHolder {
  pid: number;
  /** The pid's start time (see readProcessStartTime), null when unknown. */
  startTime: string | null;
  bootId: string;
  since: string;
}

export interface DeploymentLock {
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

export interface LockOptions {
  bootId: string;
  /** The current time, ISO 8601. */
  now: string;
  pid?: number;
  ops?: FileOps;
  /** Whether the holder still runs; the default asks the kernel. */
  isAlive?: (holder: LockHolder) => Promise<boolean>;
}

/** A holder is stale when it ran on another boot (pids mean nothing across boots) or is dead. */
export async function isStaleHolder(holder: LockHolder, bootId: string, isAlive: (holder: LockHolder) => Promise<boolean>): Promise<boolean> {
  return holder.bootId !== bootId || !(await isAlive(holder));
}

/** Alive: signal 0 reaches the pid (EPERM: it exists) and, when recorded, its start time is the same. */
export async function isProcessAlive(holder: LockHolder): Promise<boolean> {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return holder.startTime === null || (await readProcessStartTime(holder.pid)) === holder.startTime;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const data = JSON.parse(text) as Partial<LockHolder>;
    if (typeof data.pid !== 'number' || typeof data.bootId !== 'string' || typeof data.since !== 'string') return null;
    return { pid: data.pid, startTime: typeof data.startTime === 'string' ? data.startTime : null, bootId: data.bootId, since: data.since };
  } catch {
    return null;
  }
}

const LOCK_MAX_BYTES = 64 * 1024;

async function readText(ops: FileOps, path: string): Promise<string | null> {
  try {
    // O_NONBLOCK and fstat: a FIFO or device put where the lock belongs is refused, never waited on.
    const handle = await ops.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new UpdaterError('STATE_CORRUPT', `${path}: not a regular file`);
      // A holder record is a few dozen bytes; anything much larger is damage, read as a stale lock.
      if (stats.size > LOCK_MAX_BYTES) return '';
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Takes the lock in `dir` or throws STATE_LOCKED naming the live holder. The lock file appears with
 * its whole content at once (written to a temp file, then hard-linked, which fails if the name
 * exists), so a reader never sees a half-written holder. A lock file that cannot be parsed can only
 * come from a damaged disk, never from a live holder, and counts as stale.
 */
export async function acquireDeploymentLock(dir: string, options: LockOptions): Promise<DeploymentLock> {
  const ops = options.ops ?? fsp;
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? isProcessAlive;
  const holder: LockHolder = { pid, startTime: await readProcessStartTime(pid), bootId: options.bootId, since: options.now };
  const content = JSON.stringify(holder);
  const path = join(dir, LOCK_FILE);
  const temp = `${path}.${pid}.tmp`;
  try {
    await ops.mkdir(dir, { recursive: true, mode: 0o700 });
    const handle = await ops.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.write(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Two rounds: the first may find a stale lock and remove it; a second loss is a live race.
    for (let round = 0; round < 2; round += 1) {
      try {
        await ops.link(temp, path);
        return { holder, release: () => releaseLock(ops, path, content) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const seen = await readText(ops, path);
      if (seen === null) continue;
      const other = parseHolder(seen);
      if (other !== null && !(await isStaleHolder(other, options.bootId, isAlive))) {
        throw new UpdaterError('STATE_LOCKED', `${path}: held by pid ${other.pid} since ${other.since}`);
      }
      // Remove only the stale lock that was judged: if another process took it over meanwhile, its
      // fresh content differs and is left alone. (The compare and the unlink are not one atomic
      // step; two processes taking over the same stale lock in the same instant remain a race.)
      if ((await readText(ops, path)) === seen) await ops.unlink(path);
    }
    throw new UpdaterError('STATE_LOCKED', `${path}: taken by another process while a stale lock was being replaced`);
  } catch (err) {
    if (err instanceof UpdaterError) throw err;
    throw new UpdaterError('STATE_WRITE_FAILED', `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  } finally {
    await ops.unlink(temp).catch(() => undefined);
  }
}

async function releaseLock(ops: FileOps, path: string, content: string): Promise<void> {
  if ((await readText(ops, path)) === content) await ops.unlink(path);
}
