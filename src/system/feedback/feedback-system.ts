// The system side of feedback on the device: sysfs and console writes, hook processes, the clock.
// Hooks run in a process group of their own so that a timeout kills the whole group (a shell
// script's `sleep` included), and a run ends when the hook exits, not when every descendant has
// closed its output.

import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { FeedbackSystem, HookRun } from '../../feedback/index.js';

/** The tail of a hook's stderr kept for the log line when it fails. */
const STDERR_TAIL = 500;
/** How long after a hook exits its stderr may stay open before it is cut. */
const STDERR_GRACE_MS = 200;

/**
 * Writes through a descriptor opened without O_CREAT: a missing LED or console is an error, never a
 * new file. O_NOCTTY: a service is a session leader, and opening a terminal (/dev/tty1) without it
 * would make that terminal its controlling one, and its hangup our SIGHUP.
 */
async function writeExisting(path: string, text: string, flags: number): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_NOCTTY | flags);
  try {
    await handle.write(text);
  } finally {
    await handle.close();
  }
}

function runHook(argv: readonly string[], env: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<HookRun> {
  const [command, ...args] = argv;
  return new Promise((resolve) => {
    let stderr = '';
    let timedOut = false;
    const child = spawn(command ?? '', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env }, detached: true });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    const kill = (): void => {
      timedOut = true;
      try {
        // The negative pid: the hook's whole process group.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone between the timeout and the kill.
      }
    };
    const timer = setTimeout(kill, timeoutMs);
    signal.addEventListener('abort', kill, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
    };
    child.on('error', (err) => {
      done();
      resolve({ kind: 'not-started', message: err.message });
    });
    child.on('exit', (code, exitSignal) => {
      done();
      const result: HookRun = timedOut ? { kind: 'timed-out', stderr: '' } : { kind: 'exited', code, signal: exitSignal, stderr: '' };
      const finish = (): void => {
        clearTimeout(grace);
        child.stderr.destroy();
        resolve({ ...result, stderr: stderr.trim() });
      };
      // Its last words may still be in the pipe; a descendant still holding stderr must not keep
      // this run (or the daemon) waiting past the grace.
      const grace = setTimeout(finish, STDERR_GRACE_MS);
      if (child.stderr.closed) finish();
      else child.stderr.once('close', finish);
    });
  });
}

export const realFeedbackSystem: FeedbackSystem = {
  writeFile: (path, text) => writeExisting(path, text, constants.O_TRUNC),
  appendFile: (path, text) => writeExisting(path, text, constants.O_APPEND),
  readFile: (path) => readFile(path, 'utf8'),
  runHook,
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // Feedback never keeps the daemon from stopping.
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
