// Reading a diagnostics request and its signature from the root of a stick: untrusted input, so
// each is opened once without following a link and without waiting on a FIFO, fstat'ed, refused
// unless a regular file on the stick's own filesystem within its size bound, and read from that one
// descriptor (never more than the bound, whatever the file grows to meanwhile). Also the laptop's
// side: writing a request made by `usb-updater diagnostics request`.

import { constants } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UpdaterError } from '../../errors/index.js';
import { REQUEST_FILE, REQUEST_MAX_BYTES, SIGNATURE_FILE, SIGNATURE_MAX_BYTES, type RequestFileRead } from '../../diagnostics/index.js';

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

/** One file at the root of the stick mounted at `root` (device `rootDev`), at most `max` bytes. */
export async function readBoundedStickFile(root: string, name: string, max: number, rootDev?: number): Promise<RequestFileRead> {
  let handle;
  try {
    handle = await open(join(root, name), OPEN_FLAGS);
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT') return { status: 'missing' };
    if (errno === 'ELOOP') return { status: 'refused', message: 'a link: refused, never followed' };
    return { status: 'refused', message: `cannot be opened (${errno ?? (err as Error).message})` };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { status: 'refused', message: 'not a regular file' };
    if (rootDev !== undefined && stats.dev !== rootDev) return { status: 'refused', message: 'not on the stick' };
    if (stats.size > max) return { status: 'refused', message: `${stats.size} bytes, more than the ${max} a request may have` };
    // One byte past the bound: a file that grew after the fstat is refused, not read on.
    const buffer = Buffer.alloc(max + 1);
    let read = 0;
    while (read < buffer.length) {
      const { bytesRead } = await handle.read(buffer, read, buffer.length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    if (read > max) return { status: 'refused', message: `more than the ${max} bytes a request may have` };
    return { status: 'ok', bytes: buffer.subarray(0, read) };
  } catch (err) {
    return { status: 'refused', message: `cannot be read (${errnoOf(err) ?? (err as Error).message})` };
  } finally {
    await handle.close();
  }
}

/** The request and its signature on the stick mounted at `mountPoint`. */
export async function readRequestFiles(mountPoint: string): Promise<{ request: RequestFileRead; signature: RequestFileRead }> {
  let rootDev: number | undefined;
  try {
    rootDev = (await stat(mountPoint)).dev;
  } catch {
    rootDev = undefined;
  }
  const request = await readBoundedStickFile(mountPoint, REQUEST_FILE, REQUEST_MAX_BYTES, rootDev);
  // No request: the signature is not even looked at.
  const signature = request.status === 'missing' ? ({ status: 'missing' } as const) : await readBoundedStickFile(mountPoint, SIGNATURE_FILE, SIGNATURE_MAX_BYTES, rootDev);
  return { request, signature };
}

/**
 * Writes the request and its signature into `dir` (made if missing), each under a temp name first,
 * fsynced and renamed: a stick pulled from the laptop midway holds the old pair or the new one.
 */
export async function writeRequestFiles(dir: string, request: string, signature: string): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
    const written: string[] = [];
    for (const [name, data] of [[REQUEST_FILE, request], [SIGNATURE_FILE, signature]] as const) {
      const path = join(dir, name);
      const temp = join(dir, `.${name}.part`);
      await rm(temp, { force: true });
      const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
      written.push(path);
    }
    return written;
  } catch (err) {
    throw new UpdaterError('IO_ERROR', `${dir}: the request could not be written (${errnoOf(err) ?? (err as Error).message})`, { cause: err });
  }
}
