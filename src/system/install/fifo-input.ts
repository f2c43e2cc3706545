// Feeding a byte stream to a command that wants a file path (the Mender client installs from a path,
// and cannot open Node's stdin socket as /dev/stdin): a FIFO in a private folder, written with
// blocking writes of large chunks from libuv's thread pool, with backpressure. No extra process
// copies the bytes, and a command that exits early (it refused the artifact) ends the writing with
// EPIPE instead of hanging it. A command that takes no byte for `stallTimeoutMs` is ended
// (INSTALL_STALLED). The FIFO's folder is made under the state folder (never /tmp, where a killed
// install left it), and folders a killed install left there are removed before the next one.

import { close as closeFd, open as openFd, constants } from 'node:fs';
import { mkdtemp, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UpdaterError } from '../../errors/index.js';
import { runCommand, type CommandResult, type RunOptions } from '../os/process.js';

const openRaw = promisify(openFd);
const closeRaw = promisify(closeFd);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the command has to open the FIFO before it is given up on. */
const OPEN_TIMEOUT_MS = 60_000;

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

export interface FifoOptions extends RunOptions {
  /** End the command when it takes no byte of its input for this long (the input not yet all fed). */
  stallTimeoutMs?: number;
  /** The folder that holds the FIFO's private folder; stale ones in it are removed first. */
  parent?: string;
}

/** The prefix of the private folders; a folder with it in `parent` is left from a killed run. */
const STREAM_PREFIX = 'usb-updater-stream-';

/** Removes the FIFO folders a killed run left in `parent` (the caller holds the deployment lock). */
export async function removeStaleStreams(parent: string): Promise<string[]> {
  const names = (await readdir(parent).catch(() => [] as string[])).filter((name) => name.startsWith(STREAM_PREFIX));
  for (const name of names) await rm(join(parent, name), { recursive: true, force: true });
  return names;
}

/** Writes all of `chunk` (a blocking write into a pipe may return early when a signal comes). */
async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let at = 0; at < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, at, chunk.length - at);
    at += bytesWritten;
  }
}

/**
 * Writes `input` into the pipe, one chunk at a time: the next chunk is asked for only once the
 * previous one is in the pipe (backpressure, and the input may reuse its buffers). No stream objects
 * in between: measured on the install stream, Readable.from and a WriteStream cost more CPU than the
 * copy itself. Resolves with the input's own error, if any (EPIPE is the reader's business).
 */
async function feed(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, handle: FileHandle, written: { bytes: number }): Promise<Error | null> {
  try {
    for await (const chunk of input) {
      await writeAll(handle, chunk);
      // A write into the FIFO completes once the command has taken its bytes: the watchdog's progress.
      written.bytes += chunk.length;
    }
    return null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return null;
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    // The end of the input for the command (a FIFO without a writer reads as its end).
    await handle.close().catch(() => undefined);
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
  options: FifoOptions = {},
): Promise<CommandResult> {
  const { stallTimeoutMs, parent, ...runOptions } = options;
  if (parent !== undefined) await removeStaleStreams(parent);
  // A private folder (0700): nobody else can open the FIFO and read or inject bytes.
  const dir = await mkdtemp(join(parent ?? tmpdir(), STREAM_PREFIX));
  const fifo = join(dir, 'artifact.mender');
  try {
    const made = await runCommand('mkfifo', ['-m', '600', fifo], { timeoutMs: 10_000 });
    if (made.code !== 0) throw new Error(`mkfifo ${fifo} exited ${String(made.code)}: ${made.output.trim()}`);
    let exited = false;
    const abort = new AbortController();
    const signal = runOptions.signal ? AbortSignal.any([runOptions.signal, abort.signal]) : abort.signal;
    const child = runCommand(command, args(fifo), { ...runOptions, signal }).finally(() => {
      exited = true;
    });
    let fed: Promise<Error | null> = Promise.resolve(null);
    let stalled = false;
    let watchdog: NodeJS.Timeout | undefined;
    try {
      const handle = await openWriter(fifo, () => exited);
      if (handle !== null) {
        const written = { bytes: 0 };
        let feeding = true;
        fed = feed(input, handle, written).finally(() => {
          feeding = false;
          clearInterval(watchdog);
        });
        if (stallTimeoutMs !== undefined) {
          // Only while input remains: once it is all in the pipe, the client may take its time.
          let seen = { bytes: 0, at: Date.now() };
          watchdog = setInterval(() => {
            const { bytes } = written;
            if (bytes !== seen.bytes) seen = { bytes, at: Date.now() };
            else if (feeding && !exited && Date.now() - seen.at > stallTimeoutMs) {
              stalled = true;
              clearInterval(watchdog);
              abort.abort();
            }
          }, Math.min(1000, Math.max(10, stallTimeoutMs / 4)));
        }
      }
    } catch (err) {
      // The command never opened its input: end it rather than leave it waiting.
      abort.abort();
      await child.catch(() => undefined);
      throw err;
    }
    // Ended by the watchdog, the command's run rejects (aborted): the stall is the error to tell.
    const result = await child.catch((err: unknown) => {
      if (!stalled) throw err;
      return null;
    });
    clearInterval(watchdog);
    const inputError = await fed;
    if (stalled || result === null) throw new UpdaterError('INSTALL_STALLED', `${command} took no byte of the artifact for ${Math.round(stallTimeoutMs ?? 0) / 1000} s (client.stall_timeout); it was ended`);
    if (inputError) throw inputError;
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
