// Running external commands (the Mender client, fw_printenv, the reboot command, health checks): a
// bounded capture of their output and a timeout (a byte stream for a command's input goes through
// fifo-input.ts). A command that cannot be started is an error; one that exits non-zero is a
// result, for the caller.

import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, the last `maxOutput` characters. */
  output: string;
  stdout: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Characters of output kept (the tail); default 64 KiB. */
  maxOutput?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * Run it in a process group of its own, and kill the whole group with SIGKILL on timeout, on
   * abort, and when the command exits: a script's children, and whatever it left running, go with
   * it (they would otherwise hold its output open, and outlive the timeout). For commands we do not
   * know, such as health checks. (A process that starts a new session escapes it.)
   */
  killGroup?: boolean;
}

const keepTail = (text: string, max: number): string => (text.length > max ? text.slice(text.length - max) : text);

/** Runs `command` with `args` (no shell). Rejects only when it cannot be started, or when `signal` aborts it. */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const max = options.maxOutput ?? 64 * 1024;
  const group = options.killGroup === true;
  const { signal } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      detached: group,
      ...(signal && !group ? { signal } : {}),
    });
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the whole group has already gone.
      }
    };
    let output = '';
    let stdout = '';
    let timedOut = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      output = keepTail(output + chunk.toString('utf8'), max);
      stdout = keepTail(stdout + chunk.toString('utf8'), max);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output = keepTail(output + chunk.toString('utf8'), max);
    });
    const timer = options.timeoutMs === undefined ? null : setTimeout(() => {
      timedOut = true;
      if (group) killGroup();
      else child.kill('SIGKILL');
    }, options.timeoutMs);
    if (group) {
      signal?.addEventListener('abort', killGroup, { once: true });
      if (signal?.aborted === true) killGroup();
      child.on('exit', killGroup);
    }
    const cleanUp = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', killGroup);
    };
    child.on('error', (err) => {
      cleanUp();
      reject(err);
    });
    child.on('close', (code, exitSignal) => {
      cleanUp();
      // Like spawn's own `signal` option: an AbortError whose cause is the abort's reason.
      if (group && signal?.aborted === true) reject(Object.assign(new Error(`${command} was aborted`, { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' }));
      else resolve({ code, signal: exitSignal, output, stdout, timedOut });
    });
  });
}
