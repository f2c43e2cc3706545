// Running external commands (the Mender client, fw_printenv, the reboot command): a bounded capture
// of their output and a timeout (a byte stream for a command's input goes through fifo-input.ts). A
// command that cannot be started is an error; one that exits non-zero is a result, for the caller.

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
}

const keepTail = (text: string, max: number): string => (text.length > max ? text.slice(text.length - max) : text);

/** Runs `command` with `args` (no shell). Rejects only when it cannot be started. */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const max = options.maxOutput ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, ...(options.signal ? { signal: options.signal } : {}) });
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
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, output, stdout, timedOut });
    });
  });
}
