// Reading and following the kernel mount table: `findmnt --poll` wakes us within milliseconds and
// costs nothing while idle; without findmnt, a timer reads the table (inotify sees no mounts).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { UpdaterError } from '../../errors/index.js';
import type { Logger } from '../../log/index.js';

export const MOUNTINFO = '/proc/self/mountinfo';

export async function readMountTable(path: string = MOUNTINFO): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UpdaterError('MEDIA_MOUNT_TABLE', `${path}: ${(err as Error).message}`, { cause: err });
  }
}

export interface FollowOptions {
  /** The findmnt executable; tests pass a missing one to exercise the fallback. */
  findmnt?: string;
  mountinfo?: string;
  /** Fallback polling period. */
  pollMs?: number;
}

/** Calls `onChange` after mounts and unmounts until stopped. */
export function followMountTable(onChange: () => void, logger: Logger, options: FollowOptions = {}): { stop(): Promise<void> } {
  const { findmnt = 'findmnt', mountinfo = MOUNTINFO, pollMs = 200 } = options;
  let stopped = false;
  let child: ChildProcess | null = null;
  let timer: NodeJS.Timeout | null = null;
  let switching: NodeJS.Timeout | undefined;

  const poll = (reason: string): void => {
    if (stopped || timer) return;
    logger.warn('following the mount table by reading it on a timer', { reason, periodMs: pollMs });
    let last = '';
    let reading = false;
    timer = setInterval(() => {
      if (reading) return;
      reading = true;
      readFile(mountinfo, 'utf8').then((text) => {
        if (text !== last && last !== '') onChange();
        last = text;
      }, (err: unknown) => logger.error('reading the mount table failed', { error: String(err) })).finally(() => { reading = false; });
    }, pollMs);
    // The first reading sets the baseline; its hint covers a change made while findmnt was failing.
    readFile(mountinfo, 'utf8').then((text) => { last = text; onChange(); }, () => undefined);
  };

  const exited = new Promise<void>((resolve) => {
    // `-n -o ACTION`: one short line per change; what changed is read from the kernel's own table.
    const proc = spawn(findmnt, ['--poll', '--noheadings', '--output', 'ACTION'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout.on('data', () => onChange());
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-500); });
    proc.on('error', (err) => {
      child = null;
      poll(`${findmnt} cannot run: ${err.message}`);
      resolve();
    });
    proc.on('exit', (code, signal) => {
      child = null;
      // systemd's SIGTERM (and Ctrl-C) reach findmnt and us at once: give our own stop a moment to
      // begin, so that a daemon being stopped does not switch to polling and say so.
      if (!stopped) switching = setTimeout(() => poll(`${findmnt} --poll ended (${signal ?? `exit ${code}`}) ${stderr.trim()}`.trim()), 250);
      resolve();
    });
  });

  return {
    async stop() {
      stopped = true;
      clearTimeout(switching);
      if (timer) clearInterval(timer);
      child?.kill('SIGTERM');
      await exited;
    },
  };
}
