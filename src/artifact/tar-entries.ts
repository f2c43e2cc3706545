// The tar layer of the reader (its lexer): turns a byte stream into a sequence of regular-file
// entries with safe names. Anything else a tar can hold (links, devices, directories, FIFOs) is an
// error here, so no later stage can be tricked by one. Built on tar-stream.

import tar from 'tar-stream';
import { UpdaterError } from '../errors/index.js';
import { shorten } from '../log/index.js';
import { LIMITS } from './limits.js';
import { isSourceError, pump, type ByteSource } from './streams.js';

export interface TarEntry {
  name: string;
  /** Size declared in the tar header: checked against limits before reading the body. */
  size: number;
  body: AsyncIterable<Buffer>;
}

/**
 * A name is safe when it is relative, has no empty, `.` or `..` component, no backslash and no
 * control character: it can then never address anything outside the place it is unpacked to.
 */
export function isSafeName(name: string): boolean {
  if (name.length === 0 || name.length > LIMITS.pathLength || name.startsWith('/')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\\ufffd]/.test(name)) return false;
  return name.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

function tarError(err: unknown, where: string, sawEntry: boolean): Error {
  // What the source threw (a read error, a bug in a byte source) is passed on as it is: it says
  // nothing about the tar. The candidate's reader makes it that file's reason.
  if (err instanceof UpdaterError || isSourceError(err)) return err as Error;
  const detail = err instanceof Error ? err.message : String(err);
  if (/unexpected end of data/i.test(detail)) {
    // Before the first complete tar header there is no telling a cut artifact from a non-tar file.
    return sawEntry
      ? new UpdaterError('ARTIFACT_TRUNCATED', `${where}: the tar stream ends in the middle of a member`, { cause: err })
      : new UpdaterError('ARTIFACT_NOT_TAR', `${where}: not a tar archive (ends before a complete tar header)`, { cause: err });
  }
  return new UpdaterError(
    'ARTIFACT_NOT_TAR',
    sawEntry ? `${where}: corrupt tar data (${detail})` : `${where}: not a tar archive (${detail})`,
    { cause: err },
  );
}

/** An entry's bytes; failures while reading them (a cut stream) become UpdaterErrors. */
async function* entryBody(entry: AsyncIterable<Buffer>, where: string): AsyncGenerator<Buffer> {
  try {
    yield* entry;
  } catch (err) {
    if (err instanceof UpdaterError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new UpdaterError('ARTIFACT_TRUNCATED', `${where}: the data ends before the member does (${detail})`, { cause: err });
  }
}

/**
 * Yields the entries of the tar in `source`, in order. The consumer must read (or abandon, by
 * stopping the iteration) each entry's body before asking for the next; leftovers are drained.
 * Stopping the iteration stops reading `source`.
 */
export async function* tarEntries(
  source: ByteSource,
  where: string,
  onChunk?: (bytes: number) => void,
): AsyncGenerator<TarEntry, void, undefined> {
  const extract = tar.extract();
  const stop = new AbortController();
  const feeding = pump(source, extract, stop.signal, onChunk);
  let sawEntry = false;
  try {
    for await (const entry of extract) {
      sawEntry = true;
      const { name, type, size } = entry.header;
      // Quoted shortened: a member name is the stick's text, up to tar-stream's pax limit in size.
      const label = JSON.stringify(shorten(name));
      if (name.length > LIMITS.pathLength) {
        throw new UpdaterError('ARTIFACT_BAD_ENTRY', `${where}: entry name ${label} is ${name.length} characters long, more than ${LIMITS.pathLength}`);
      }
      if (!isSafeName(name)) {
        throw new UpdaterError('ARTIFACT_BAD_ENTRY', `${where}: unsafe entry name ${label}`);
      }
      if (type !== 'file') {
        throw new UpdaterError('ARTIFACT_BAD_ENTRY', `${where}: entry ${label} is a ${type ?? 'unknown type'}, not a regular file`);
      }
      yield { name, size: size ?? 0, body: entryBody(entry as AsyncIterable<Buffer>, `${where}: ${shorten(name)}`) };
      // Whatever the consumer left unread must be skipped to reach the next header.
      entry.resume();
    }
  } catch (err) {
    throw tarError(err, where, sawEntry);
  } finally {
    stop.abort();
    extract.destroy();
    await feeding;
  }
}
