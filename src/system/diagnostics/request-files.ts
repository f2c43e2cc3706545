// Reading a diagnostics request and its signature from the root of a stick: untrusted input, so
// each is read by readBoundedFile (src/system/os/files.ts: no link followed, no FIFO waited on,
// never more than the bound) and refused unless a regular file on the stick's own filesystem.
// Also the laptop's side: writing a request made by `usb-updater diagnostics request`.

import { constants } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UpdaterError } from '../../errors/index.js';
import { readBoundedFile } from '../os/files.js';
import { REQUEST_FILE, REQUEST_MAX_BYTES, SIGNATURE_FILE, SIGNATURE_MAX_BYTES, type RequestFileRead } from '../../diagnostics/index.js';

const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

/** One file at the root of the stick mounted at `root` (device `rootDev`), at most `max` bytes. */
export async function readBoundedStickFile(root: string, name: string, max: number, rootDev?: number): Promise<RequestFileRead> {
  const read = await readBoundedFile(join(root, name), max, { ...(rootDev === undefined ? {} : { dev: rootDev }), upTo: 'max' });
  switch (read.status) {
    case 'ok':
    case 'missing':
      return read;
    case 'link':
      return { status: 'refused', message: 'a link: refused, never followed' };
    case 'not-regular':
      return { status: 'refused', message: 'not a regular file' };
    case 'other-device':
      return { status: 'refused', message: 'not on the stick' };
    case 'too-large':
      return { status: 'refused', message: `${read.size} bytes, more than the ${max} a request may have` };
    case 'grew':
      return { status: 'refused', message: `more than the ${max} bytes a request may have` };
    case 'failed':
      return { status: 'refused', message: `cannot be ${read.step === 'open' ? 'opened' : 'read'} (${read.errno})` };
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
