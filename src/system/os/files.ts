// File access for the CLI and, later, the daemon: opening an artifact once and streaming it from
// that one descriptor, and reading small text files (keys) with a size bound. Every open is
// non-blocking and followed by fstat: a FIFO, a device or a socket is refused at once, never waited on.

import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UpdaterError } from '../../errors/index.js';
import type { ChunkOptions } from '../../media/index.js';

export interface OpenedArtifact {
  path: string;
  /** Size in bytes, or null for a pipe. */
  size: number | null;
  /**
   * The file's bytes from `start` (default 0; FIFOs: only 0), read in chunks of `chunkBytes`. With
   * `reuse`, a chunk is lent: valid only until the next one is asked for (see lentChunks).
   */
  chunks(chunkBytes: number, start?: number, options?: ChunkOptions): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

function ioError(path: string, err: unknown): UpdaterError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
  return new UpdaterError('IO_ERROR', `${path}: ${reason}`, { cause: err });
}

async function statOf(handle: FileHandle, path: string): Promise<Stats> {
  try {
    return await handle.stat();
  } catch (err) {
    throw ioError(path, err);
  }
}

/**
 * O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused by its fstat); it does
 * not change how a regular file reads. O_NOCTTY: a terminal node is never adopted.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** What a non-regular file is, for messages. */
export function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device node';
  return 'not a regular file';
}

/** Opens `path` without waiting on it and refuses anything but a regular file. */
async function openRegular(path: string, streamHint = ''): Promise<{ handle: FileHandle; stats: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw ioError(path, err);
  }
  try {
    const stats = await statOf(handle, path);
    if (!stats.isFile()) throw new UpdaterError('IO_ERROR', `${path}: ${kindOf(stats)}, not a regular file${streamHint}`);
    return { handle, stats };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Opens an artifact for reading: regular files only (a stream is read from standard input, `-`). */
export async function openArtifact(path: string): Promise<OpenedArtifact> {
  const { handle, stats } = await openRegular(path, '; to read a stream, give - and pipe it to standard input');
  return artifactFromHandle(handle, path, stats.size);
}

/** An artifact read from an already open descriptor, so every read comes from that one file. */
export function artifactFromHandle(handle: FileHandle, path: string, size: number | null): OpenedArtifact {
  return {
    path,
    size,
    async *chunks(chunkBytes: number, start = 0, options: ChunkOptions = {}): AsyncIterable<Uint8Array> {
      try {
        // A regular file is read from its start (pread), so each call gives the whole file again; a
        // FIFO cannot seek and is read once.
        if (size === null && start !== 0) throw new UpdaterError('IO_ERROR', `${path}: a pipe cannot be read from offset ${start}`);
        if (options.reuse === true && size !== null) {
          yield* lentChunks(handle, chunkBytes, start);
          return;
        }
        const from = size === null ? {} : { start };
        for await (const chunk of handle.createReadStream({ ...from, highWaterMark: chunkBytes, autoClose: false })) {
          yield chunk as Buffer;
        }
      } catch (err) {
        throw ioError(path, err);
      }
    },
    close: () => handle.close(),
  };
}

/**
 * The bytes of a regular file from `start`, read (pread) into two buffers taken in turn: the next
 * chunk is read while the caller uses the current one, and a chunk is overwritten once the caller
 * has asked for the one after it. Measured on the install stream (225 MiB into the client): a
 * stream that allocates each chunk took 18,000 page faults, 80 MiB of peak RSS and 0.72 s of our
 * CPU; the two buffers take 1,000, 46 MiB and 0.33 s.
 */
async function* lentChunks(handle: FileHandle, chunkBytes: number, start: number): AsyncIterable<Uint8Array> {
  let [filling, lent] = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)];
  let position = start;
  const readAhead = (buffer: Buffer): Promise<{ bytesRead: number }> => {
    const read = handle.read(buffer, 0, chunkBytes, position);
    // Handled at once: a read ahead fails (EIO: the stick was pulled) while the caller still holds
    // the previous chunk, and an unhandled rejection would end the process. It is awaited next.
    read.catch(() => undefined);
    return read;
  };
  let reading = readAhead(filling);
  try {
    for (;;) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) return;
      position += bytesRead;
      // The chunk lent before is free again: the caller asked for the next one.
      [filling, lent] = [lent, filling];
      reading = readAhead(filling);
      yield lent.subarray(0, bytesRead);
    }
  } finally {
    // A read still under way must not land in a buffer after the caller's close of the descriptor.
    await reading.catch(() => undefined);
  }
}

/** What reading one untrusted file whole came to: its bytes, or why not (each caller words it). */
export type BoundedFileRead =
  | { status: 'ok'; bytes: Buffer }
  | { status: 'missing' }
  | { status: 'link' }
  | { status: 'other-device' }
  | { status: 'not-regular'; kind: string }
  /** Larger than the bound by its fstat. */
  | { status: 'too-large'; size: number }
  /** More bytes came than the read allowed (see `upTo`): it grew after its fstat. */
  | { status: 'grew' }
  | { status: 'failed'; step: 'open' | 'read'; errno: string };

export interface BoundedFileOptions {
  /** The device (st_dev) the file must be on: the stick's own filesystem. */
  dev?: number;
  /** Read up to the fstat's size (`size`, the default) or up to `max`; one byte more is `grew`. */
  upTo?: 'size' | 'max';
}

const errnoOf = (err: unknown): string => (err as NodeJS.ErrnoException | null)?.code ?? (err as Error).message;

/**
 * Reads a file from an untrusted place (a stick) whole, from the one descriptor it was opened and
 * fstat'ed on: a link is not followed (O_NOFOLLOW), a FIFO or device is not waited on (O_NONBLOCK),
 * and no more than the bound is read, whatever the file grows to meanwhile. `path` may be bytes, as
 * a folder listed it.
 */
export async function readBoundedFile(path: string | Buffer, max: number, options: BoundedFileOptions = {}): Promise<BoundedFileRead> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS | constants.O_NOFOLLOW);
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT') return { status: 'missing' };
    if (errno === 'ELOOP') return { status: 'link' };
    return { status: 'failed', step: 'open', errno };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { status: 'not-regular', kind: kindOf(stats) };
    if (options.dev !== undefined && stats.dev !== options.dev) return { status: 'other-device' };
    if (stats.size > max) return { status: 'too-large', size: stats.size };
    // One byte past what may be read: a file that grew after the fstat is caught, not read on.
    const buffer = Buffer.alloc((options.upTo === 'max' ? max : stats.size) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length === buffer.length) return { status: 'grew' };
    return { status: 'ok', bytes: buffer.subarray(0, length) };
  } catch (err) {
    return { status: 'failed', step: 'read', errno: errnoOf(err) };
  } finally {
    await handle.close();
  }
}

/** Reads a small text file (a key, a config) whole, refusing anything larger than `max` bytes. */
export async function readSmallTextFile(path: string, max: number): Promise<string> {
  const { handle, stats } = await openRegular(path);
  try {
    if (stats.size > max) throw new UpdaterError('IO_ERROR', `${path}: ${stats.size} bytes, larger than the ${max}-byte limit`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
