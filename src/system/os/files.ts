// File access for the CLI and, later, the daemon: opening an artifact once and streaming it from
// that one descriptor, and reading small text files (keys) with a size bound.

import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UpdaterError } from '../../errors/index.js';

export interface OpenedArtifact {
  path: string;
  /** Size in bytes, or null for a pipe. */
  size: number | null;
  /** The file's bytes from `start` (default 0; FIFOs: only 0), read in chunks of `chunkBytes`. */
  chunks(chunkBytes: number, start?: number): AsyncIterable<Uint8Array>;
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

/** Opens an artifact for reading. Directories and devices are refused; FIFOs are allowed (streams). */
export async function openArtifact(path: string): Promise<OpenedArtifact> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY);
  } catch (err) {
    throw ioError(path, err);
  }
  const stats = await statOf(handle, path);
  if (!stats.isFile() && !stats.isFIFO()) {
    await handle.close();
    throw new UpdaterError('IO_ERROR', `${path}: not a regular file`);
  }
  return artifactFromHandle(handle, path, stats.isFile() ? stats.size : null);
}

/** An artifact read from an already open descriptor, so every read comes from that one file. */
export function artifactFromHandle(handle: FileHandle, path: string, size: number | null): OpenedArtifact {
  return {
    path,
    size,
    async *chunks(chunkBytes: number, start = 0): AsyncIterable<Uint8Array> {
      try {
        // A regular file is read from its start (pread), so each call gives the whole file again; a
        // FIFO cannot seek and is read once.
        if (size === null && start !== 0) throw new UpdaterError('IO_ERROR', `${path}: a pipe cannot be read from offset ${start}`);
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

/** Reads a small text file (a key, a config) whole, refusing anything larger than `max` bytes. */
export async function readSmallTextFile(path: string, max: number): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY);
  } catch (err) {
    throw ioError(path, err);
  }
  try {
    const stats = await statOf(handle, path);
    if (!stats.isFile()) throw new UpdaterError('IO_ERROR', `${path}: not a regular file`);
    if (stats.size > max) throw new UpdaterError('IO_ERROR', `${path}: ${stats.size} bytes, larger than the ${max}-byte limit`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
