// Feeding a byte stream to a command that wants a file path (the Mender client installs from a path,
// and cannot open Node's stdin socket as /dev/stdin): a FIFO in a private folder, written with
// blocking writes of large chunks from libuv's thread pool, with backpressure. No extra process
// copies the bytes, and a command that exits early (it refused the artifact) ends the writing with
// EPIPE instead of hanging it.

import { close as closeFd, open as openFd, constants } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { runCommand, type CommandResult, type RunOptions } from '../os/process.js';

const openRaw = promisify(openFd);
const closeRaw = promisify(closeFd);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the command has to open the FIFO before it is given up on. */
const OPEN_TIMEOUT_MS = 60_000;
/** Bytes buffered ahead of the pipe: one large blocking write at a time, the next chunk read meanwhile. */
const WRITE_AHEAD = 1024 * 1024;

/**
 * A non-blocking writer, once the command has opened the FIFO for reading: until then that open fails
 * with ENXIO (a blocking one would wait in the thread pool with no way to give up). Null when the
 * command exited without opening it.
 */
async function untilReaderOpened(fifo: string, exited: () => boolean): Promise<number | null> {
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

/**
 * The FIFO opened for blocking writes, once the command reads it. Blocking, because the Mender client
 * reads 4 KiB at a time: a non-blocking writer is woken through the event loop for every 4 KiB page
 * the client frees in the 64 KiB pipe (measured: about 5 writes per 64 KiB, and the stream three
 * times slower than `cat FILE |`), while a blocking write of 1 MiB waits for room inside the kernel,
 * as cat's does, on a thread-pool thread.
 */
async function openWriter(fifo: string, exited: () => boolean): Promise<FileHandle | null> {
  const probe = await untilReaderOpened(fifo, exited);
  if (probe === null) return null;
  try {
    return await openBlocking(fifo, exited);
  } finally {
    // Closed only now: a FIFO without any writer reads as the end of the input, and the command may
    // already be reading (the Mender client then fails with "can not read version file: EOF").
    await closeRaw(probe);
  }
}

async function openBlocking(fifo: string, exited: () => boolean): Promise<FileHandle> {
  let settled = false;
  const opening = open(fifo, constants.O_WRONLY).finally(() => {
    settled = true;
  });
  // The command has the FIFO open, so this open returns at once, unless it exited in between: then
  // the open waits for the next reader. Readers of ours, opened and closed at once, release it, again
  // until it returns (the kernel waits for a reader that opens after the open began, and the thread
  // pool may start it late); its first write then fails with EPIPE, as for a writer already open.
  while (!settled) {
    if (exited()) await releaseWriter(fifo);
    await Promise.race([opening.catch(() => undefined), sleep(5)]);
  }
  return opening;
}

/** Opens and closes the FIFO for reading, which lets a blocked open for writing return. */
async function releaseWriter(fifo: string): Promise<void> {
  try {
    await closeRaw(await openRaw(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
  } catch {
    // No FIFO, no writer to release.
  }
}

/** Writes `input` into the pipe; resolves with the input's own error, if any (EPIPE is the reader's business). */
async function feed(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, handle: FileHandle): Promise<Error | null> {
  try {
    await pipeline(Readable.from(input, { objectMode: false }), handle.createWriteStream({ highWaterMark: WRITE_AHEAD }));
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
      const handle = await openWriter(fifo, () => exited);
      if (handle !== null) fed = feed(input, handle);
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
