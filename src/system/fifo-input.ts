// Feeding a byte stream to a command that wants a file path (the Mender client installs from a path,
// and cannot open Node's stdin socket as /dev/stdin): a FIFO in a private folder, written through a
// non-blocking pipe stream with backpressure. No extra process copies the bytes, and a command that
// exits early (it refused the artifact) ends the writing with EPIPE instead of hanging it.

import { open as openFd, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { runCommand, type CommandResult, type RunOptions } from './process.js';

const openRaw = promisify(openFd);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the command has to open the FIFO before it is given up on. */
const OPEN_TIMEOUT_MS = 60_000;

/**
 * Opens the FIFO for writing once the command has opened it for reading (before that, a
 * non-blocking open fails with ENXIO); null when the command exited without opening it.
 */
async function openWriter(fifo: string, exited: () => boolean): Promise<number | null> {
  const deadline = Date.now() + OPEN_TIMEOUT_MS;
  for (;;) {
    try {
      return await openRaw(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
    }
    if (exited()) return null;
    if (Date.now() > deadline) throw new Error(`${fifo}: the command did not open its input within ${OPEN_TIMEOUT_MS / 1000} s`);
    await sleep(5);
  }
}

/** Writes `input` into the pipe; resolves with the input's own error, if any (EPIPE is the reader's business). */
async function feed(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, fd: number): Promise<Error | null> {
  const pipe = new Socket({ fd, readable: false, writable: true });
  try {
    await pipeline(Readable.from(input, { objectMode: false }), pipe);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED') return null;
    return err instanceof Error ? err : new Error(String(code));
  }
}

/**
 * Runs `command` with `args(path)`, where `path` is a FIFO carrying `input`. Resolves with the
 * command's result; rejects with the input's error when reading the input failed (the command then
 * saw its input end early and failed on its own).
 */
export async function runWithFifoInput(
  command: string,
  args: (path: string) => string[],
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: RunOptions = {},
): Promise<CommandResult> {
  // A private folder (0700): nobody else can open the FIFO and read or inject bytes.
  const dir = await mkdtemp(join(tmpdir(), 'usb-updater-stream-'));
  const fifo = join(dir, 'artifact.mender');
  try {
    const made = await runCommand('mkfifo', ['-m', '600', fifo], { timeoutMs: 10_000 });
    if (made.code !== 0) throw new Error(`mkfifo ${fifo} exited ${String(made.code)}: ${made.output.trim()}`);
    let exited = false;
    const abort = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
    const child = runCommand(command, args(fifo), { ...options, signal }).finally(() => {
      exited = true;
    });
    let fed: Promise<Error | null> = Promise.resolve(null);
    try {
      const fd = await openWriter(fifo, () => exited);
      if (fd !== null) fed = feed(input, fd);
    } catch (err) {
      // The command never opened its input: end it rather than leave it waiting.
      abort.abort();
      await child.catch(() => undefined);
      throw err;
    }
    const result = await child;
    const inputError = await fed;
    if (inputError) throw inputError;
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
