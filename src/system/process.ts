// Running external commands (the Mender client, fw_printenv, the reboot command): a bounded capture
// of their output, a timeout, and an optional byte stream fed to stdin with backpressure. A command
// that cannot be started is an error; one that exits non-zero is a result, for the caller to judge.

import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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
  /** Bytes for stdin, written with backpressure; stdin is closed at the end. */
  input?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Characters of output kept (the tail); default 64 KiB. */
  maxOutput?: number;
  env?: NodeJS.ProcessEnv;
}

const keepTail = (text: string, max: number): string => (text.length > max ? text.slice(text.length - max) : text);

/** Runs `command` with `args` (no shell). Rejects only when it cannot be started or its input fails to read. */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const max = options.maxOutput ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: options.env ?? process.env, ...(options.signal ? { signal: options.signal } : {}) });
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
    // The child may exit before reading everything (it refused the artifact): EPIPE then is its
    // verdict, not ours, so input errors count only when the source itself failed. Then the
    // pipeline closes the child's stdin and the child fails on its own (the Mender client leaves
    // the bootloader untouched when its input ends early); it is never killed mid-write.
    const fed: Promise<Error | null> =
      options.input && child.stdin
        ? pipeline(Readable.from(options.input, { objectMode: false }), child.stdin).then(
            () => null,
            (err: unknown) => {
              const code = (err as NodeJS.ErrnoException).code;
              if (code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED') return null;
              return err instanceof Error ? err : new Error(String(code));
            },
          )
        : Promise.resolve(null);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      void fed.then((inputError) => (inputError ? reject(inputError) : resolve({ code, signal, output, stdout, timedOut })));
    });
  });
}
