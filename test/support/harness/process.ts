// Runs one child process for a test harness and collects what it prints. The child gets its own
// process group, so a timeout kills it together with everything it started.

import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';

export interface ProcessResult {
  /** The exit code, or 128 + the signal number when a signal ended the process (as a shell reports it). */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in the order they arrived. */
  output: string;
}

/** What a process reads on stdin: bytes, or a file streamed in (never read into memory first). */
export type ProcessInput = Buffer | { file: string };

export interface RunProcessOptions {
  input?: ProcessInput;
  /** Kill the process group and reject after this long (default 60 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** The shell's view of a process end: its code, or 128 + the signal number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : constants.signals[signal]);
}

/** Feeds `input` to a child's stdin; a child that exits without reading it is not an error here. */
export function feedInput(stdin: Writable, input: ProcessInput | undefined): void {
  // EPIPE when the child exits first: what it did with its input shows in its exit code.
  stdin.on('error', () => undefined);
  if (input === undefined) stdin.end();
  else if (Buffer.isBuffer(input)) stdin.end(input);
  else createReadStream(input.file).on('error', () => stdin.end()).pipe(stdin);
}

/** Runs `command args` and resolves with how it ended; rejects only on a spawn error or a timeout. */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions = {}): Promise<ProcessResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((done, fail) => {
    const child = spawn(command, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      output += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      output += text;
    });
    feedInput(child.stdin, options.input);
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone between the timer firing and the kill.
      }
      fail(new Error(`${command} ${args.join(' ')}: no answer within ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: exitCodeOf(code, signal), signal, stdout, stderr, output });
    });
  });
}
