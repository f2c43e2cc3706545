// From mounted sticks (or single files) to decision candidates: search each root, read the header of
// every file found (header only: a few KiB each, whatever the artifact's size), all within one
// deadline. The open descriptors are returned with the candidates so that an install later reads
// the very file whose header was checked.

import { nextOrAbort, readArtifact, type VerificationKey } from '../artifact/index.js';
import { isUpdaterError, UpdaterError } from '../errors/index.js';
import type { Candidate, PathRule } from '../policy/index.js';
import { consumedBy, type ConsumedBytes } from './consumed-bytes.js';
import { openCandidate, scanStick, type FoundFile, type StickFs } from './scan.js';

export interface CollectOptions {
  rule: PathRule;
  maxDepth: number;
  maxEntries: number;
  keys: readonly VerificationKey[];
  signal: AbortSignal;
  /** The stick's filesystem type, when known (see ScanOptions). */
  fsType?: string | undefined;
}

/** A candidate file whose header was read, still open, with what that read consumed. */
export interface ReadFile extends FoundFile {
  consumed: ConsumedBytes;
}

export interface Collected {
  candidates: Candidate[];
  /** Files whose header was read, by candidate path; the caller closes them. */
  files: Map<string, ReadFile>;
}

const HEADER_CHUNK = 64 * 1024;

/** `source`, ended with MEDIA_TIMEOUT as soon as `signal` aborts, even in the middle of a stalled read. */
async function* untilAborted(source: AsyncIterable<Uint8Array>, signal: AbortSignal): AsyncIterable<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    const step = await nextOrAbort(iterator, signal);
    if (step === 'aborted') throw new UpdaterError('MEDIA_TIMEOUT', 'reading the stick took longer than search.timeout');
    if (step.done === true) return;
    yield step.value;
  }
}

async function readHeader(display: string, file: FoundFile, options: CollectOptions): Promise<{ candidate: Candidate; consumed: ConsumedBytes }> {
  const { source, consumed } = consumedBy(untilAborted(file.artifact.chunks(HEADER_CHUNK), options.signal));
  return { candidate: await decodeHeader(display, file, source, options), consumed };
}

async function decodeHeader(display: string, file: FoundFile, source: AsyncIterable<Uint8Array>, options: CollectOptions): Promise<Candidate> {
  try {
    const info = await readArtifact(source, { mode: 'header', keys: options.keys, signature: 'report' });
    return { path: display, status: 'read', size: file.size, info };
  } catch (err) {
    // Whatever else goes wrong with one file (a bug included) is that file's reason: the other
    // candidates are still read and decided.
    if (!isUpdaterError(err)) {
      // A read that failed on the stick (EIO, a stick pulled mid-read) is that file's UNREADABLE.
      const errno = (err as NodeJS.ErrnoException).code;
      if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
        return { path: display, status: 'failed', size: file.size, reason: { code: 'UNREADABLE', message: `reading it failed (${errno}: ${(err as Error).message})` } };
      }
      return { path: display, status: 'failed', size: file.size, reason: { code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) } };
    }
    // A stick that stalls or goes away ends the whole search, not one candidate.
    if (err.code === 'MEDIA_TIMEOUT') throw err;
    const code = err.code === 'IO_ERROR' ? 'UNREADABLE' : 'INVALID_ARTIFACT';
    return { path: display, status: 'failed', size: file.size, reason: { code, message: `${err.code}: ${err.message}` } };
  }
}

const displayPath = (root: string, relative: string): string => (root.endsWith('/') ? `${root}${relative}` : `${root}/${relative}`);

/**
 * Candidates from `paths`: folders are searched as sticks, files are taken as they are. On error
 * every opened file is closed before the error is thrown.
 */
export async function collectCandidates(paths: readonly string[], fs: StickFs, options: CollectOptions): Promise<Collected> {
  const candidates: Candidate[] = [];
  const found = new Map<string, FoundFile>();
  const files = new Map<string, ReadFile>();
  try {
    for (const path of paths) {
      const { isDirectory } = await fs.device(path).catch((err: unknown) => {
        const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message;
        throw new UpdaterError('IO_ERROR', `${path}: ${reason}`, { cause: err });
      });
      if (isDirectory) {
        const listed = await scanStick(path, fs, options);
        for (const { path: relative, reason } of listed.skipped) candidates.push({ path: displayPath(path, relative), status: 'skipped', reason });
        for (const file of listed.files) found.set(displayPath(path, file.path), file);
      } else {
        const opened = await openCandidate(path, path, fs);
        if ('reason' in opened) candidates.push({ path, status: 'skipped', reason: opened.reason });
        else found.set(path, opened);
      }
    }
    for (const [display, file] of found) {
      const { candidate, consumed } = await readHeader(display, file, options);
      candidates.push(candidate);
      files.set(display, { ...file, consumed });
    }
    return { candidates, files };
  } catch (err) {
    await Promise.allSettled([...found.values()].map((f) => f.artifact.close()));
    throw err;
  }
}
