// Running the reboot command (reboot.command) and gathering what decides its outcome
// (src/install/reboot-verdict.ts): how the command ended, whether this process was told to stop
// meanwhile, and, after a failure, whether systemd says the system is stopping.

import { existsSync } from 'node:fs';
import { runCommand } from '../os/process.js';

/** What happened; the shape src/install/reboot-verdict.ts judges. */
export interface RebootFacts {
  command: readonly string[];
  timeoutMs: number;
  ended: { code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; output: string } | { startError: string };
  received: NodeJS.Signals | null;
  systemState: string | null;
}

export interface RebootRequestOptions {
  /** reboot.timeout: a command still running then is killed (SIGKILL) and counts as failed. */
  timeoutMs: number;
  /** A stop signal received before the request (the daemon's SIGTERM); null when none. */
  stopping?: () => NodeJS.Signals | null;
}

/** How long a failed command's result waits for a SIGTERM sent at the same moment. */
const SIGNAL_GRACE_MS = 100;

/** sd_booted(): systemd is the service manager when this folder exists. */
const SYSTEMD_RUNNING = '/run/systemd/system';

/**
 * `systemctl is-system-running`'s answer, or null without systemd or an answer. A query that is
 * itself killed by a signal was cut short by the shutdown too: `stopping`.
 */
async function systemState(): Promise<string | null> {
  if (!existsSync(SYSTEMD_RUNNING)) return null;
  try {
    const result = await runCommand('systemctl', ['is-system-running'], { timeoutMs: 5_000 });
    if (result.signal !== null && !result.timedOut) return 'stopping';
    const state = result.stdout.trim().split('\n').at(-1)?.trim();
    return state === undefined || state === '' ? null : state;
  } catch {
    return null;
  }
}

/** Runs the reboot command; never throws (a command that cannot start is a fact like any other). */
export async function requestReboot(command: readonly string[], options: RebootRequestOptions): Promise<RebootFacts> {
  const [file = 'systemctl', ...args] = command;
  let received = options.stopping?.() ?? null;
  // systemd's shutdown sends SIGTERM to this service's processes and to the command at once; the
  // handler also keeps that SIGTERM from ending this process before the outcome is recorded.
  const onStop = (signal: NodeJS.Signals): void => {
    received ??= signal;
  };
  process.on('SIGTERM', onStop);
  try {
    let ended: RebootFacts['ended'];
    try {
      const result = await runCommand(file, args, { timeoutMs: options.timeoutMs });
      ended = { code: result.code, signal: result.signal, timedOut: result.timedOut, output: result.output };
    } catch (err) {
      ended = { startError: err instanceof Error ? err.message : String(err) };
    }
    received ??= options.stopping?.() ?? null;
    const succeeded = !('startError' in ended) && ended.code === 0;
    // A SIGTERM sent at the moment the command ended may still wait in the event loop behind the
    // command's exit: let the loop turn before deciding that none came.
    if (!succeeded && received === null) await new Promise((resolve) => setTimeout(resolve, SIGNAL_GRACE_MS));
    const state = succeeded || received !== null ? null : await systemState();
    received ??= options.stopping?.() ?? null;
    return { command, timeoutMs: options.timeoutMs, ended, received, systemState: state };
  } finally {
    process.off('SIGTERM', onStop);
  }
}
