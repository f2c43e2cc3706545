// Member compression: which method a member name implies, and a streaming decompressor for it.
// xz and zstd are loaded on first use so that `inspect` of a gzip artifact pays nothing for them.
// Every decompressor is given a memory bound: an xz or zstd stream can declare a window of gigabytes.

import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UpdaterError } from '../errors/index.js';
import type { Compression } from './model.js';

const SUFFIXES: ReadonlyArray<readonly [string, Compression]> = [
  ['.gz', 'gzip'],
  ['.xz', 'lzma'],
  ['.zst', 'zstd'],
  ['', 'none'],
];

/** Splits `header.tar.gz` into base `header.tar` and `gzip`; null when the suffix is unknown. */
export function splitCompression(name: string, base: string): Compression | null {
  for (const [suffix, method] of SUFFIXES) {
    if (name === base + suffix) return method;
  }
  return null;
}

/** Largest xz dictionary / zstd window accepted: 128 MiB, zstd's own default decoder limit. */
const XZ_MEMLIMIT = 256 * 1024 * 1024;
const ZSTD_WINDOW_LOG_MAX = 27;

export async function createDecompressor(method: Compression): Promise<Transform> {
  switch (method) {
    case 'none':
      return new Transform({ transform: (chunk: Buffer, _enc, done) => done(null, chunk) });
    case 'gzip':
      return createGunzip();
    case 'lzma': {
      const lzma = await import('lzma-native');
      return lzma.createStream('streamDecoder', { memlimit: XZ_MEMLIMIT });
    }
    case 'zstd': {
      const { DecompressStream } = await import('zstd-napi');
      return new DecompressStream({ windowLogMax: ZSTD_WINDOW_LOG_MAX });
    }
  }
}

/** Turns a decompressor's error into ARTIFACT_TRUNCATED or ARTIFACT_COMPRESSION naming the member. */
export function decompressionError(member: string, method: Compression, err: unknown): UpdaterError {
  const detail = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const truncated = code === 'Z_BUF_ERROR' || /unexpected end|truncated|LZMA_BUF_ERROR/i.test(detail);
  return truncated
    ? new UpdaterError('ARTIFACT_TRUNCATED', `${member}: compressed data ends early (${method}: ${detail})`, { cause: err })
    : new UpdaterError('ARTIFACT_COMPRESSION', `${member}: corrupt ${method} data (${detail})`, { cause: err });
}

/** Yields `dec`'s output, turning its failures into UpdaterErrors that name `member`. */
export async function* decompressed(dec: Transform, member: string, method: Compression): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of dec) yield chunk as Buffer;
  } catch (err) {
    throw err instanceof UpdaterError ? err : decompressionError(member, method, err);
  }
}

/**
 * Decompresses a small stored member (a header) in full, refusing to produce more than `limit`
 * bytes: the decompressor is stopped as soon as the bound is crossed, so a bomb costs nothing.
 */
export async function expandBounded(stored: Buffer, method: Compression, member: string, limit: number): Promise<Buffer> {
  if (method === 'none') {
    if (stored.length > limit) throw new UpdaterError('ARTIFACT_TOO_LARGE', `${member}: ${stored.length} bytes, over the ${limit}-byte limit`);
    return stored;
  }
  const dec = await createDecompressor(method);
  dec.end(stored);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of decompressed(dec, member, method)) {
      total += chunk.length;
      if (total > limit) {
        throw new UpdaterError('ARTIFACT_TOO_LARGE', `${member}: expands beyond ${limit} bytes from ${stored.length} stored (decompression bound)`);
      }
      chunks.push(chunk);
    }
  } finally {
    dec.destroy();
  }
  return Buffer.concat(chunks, total);
}
