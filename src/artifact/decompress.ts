// Member compression: which method a member name implies, and streaming decompression for it.
// Every decompressor here is pulled, not pushed: output is produced only as fast as the consumer
// takes it, so a stream that expands 10,000-fold (a bomb, or a rootfs full of zeros) costs no
// memory. Node's zlib honours backpressure itself; xz (xz-decompress, WebAssembly) is a pull-based
// web stream; zstd is driven step by step through zstd-napi's low-level context, because its
// Transform stream pushes a whole chunk's output at once. xz and zstd load on first use.

import type { TransformOptions } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { UpdaterError } from '../errors/index.js';
import type { Compression } from './model.js';
import { pump, type ByteSource } from './streams.js';

const SUFFIXES: ReadonlyArray<readonly [string, Compression]> = [
  ['.gz', 'gzip'],
  ['.xz', 'lzma'],
  ['.zst', 'zstd'],
  ['', 'none'],
];

/** The compression of `name` = `base` + suffix (`header.tar.gz` → gzip); null when unknown. */
export function splitCompression(name: string, base: string): Compression | null {
  for (const [suffix, method] of SUFFIXES) {
    if (name === base + suffix) return method;
  }
  return null;
}

/** Largest zstd window accepted: 2^27 = 128 MiB, zstd's own default decoder limit. */
const ZSTD_WINDOW_LOG_MAX = 27;
const OUT_CHUNK = 128 * 1024;
const GUNZIP_CHUNK = 256 * 1024;

/** Turns a decompressor's error into ARTIFACT_TRUNCATED or ARTIFACT_COMPRESSION naming the member. */
function decompressionError(member: string, method: Compression, err: unknown): UpdaterError {
  if (err instanceof UpdaterError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const truncated = code === 'Z_BUF_ERROR' || /unexpected end|ended in middle|truncated|end of (data|input)/i.test(detail);
  return truncated
    ? new UpdaterError('ARTIFACT_TRUNCATED', `${member}: compressed data ends early (${method}: ${detail})`, { cause: err })
    : new UpdaterError('ARTIFACT_COMPRESSION', `${member}: corrupt ${method} data (${detail})`, { cause: err });
}

async function* gunzip(source: ByteSource): AsyncGenerator<Buffer> {
  // 256 KiB output steps: the default 16 KiB costs a zlib thread-pool round trip per 16 KiB (4x
  // slower). Two steps of read-ahead let inflating overlap with hashing on the main thread.
  const options: ZlibOptions & TransformOptions = { chunkSize: GUNZIP_CHUNK, readableHighWaterMark: 2 * GUNZIP_CHUNK };
  const dec = createGunzip(options);
  const stop = new AbortController();
  const feeding = pump(source, dec, stop.signal);
  try {
    for await (const chunk of dec) yield chunk as Buffer;
  } finally {
    stop.abort();
    dec.destroy();
    await feeding;
  }
}

type XzStreamClass = new (input: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;

async function* unxz(source: ByteSource): AsyncGenerator<Buffer> {
  // xz-decompress is CommonJS: its class sits on the default export.
  const mod = (await import('xz-decompress')) as unknown as { default: { XzReadableStream: XzStreamClass } };
  const input = ReadableStream.from(source);
  const output = new mod.default.XzReadableStream(input);
  for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) {
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  }
}

/** zstd-napi, a native addon that the bundle and the Debian package do not carry (see README). */
async function loadZstd(member: string) {
  try {
    return (await import('zstd-napi/binding.js')).default;
  } catch (err) {
    throw new UpdaterError('ARTIFACT_COMPRESSION', `${member}: zstd needs the zstd-napi addon, which is not installed beside usb-updater (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, { cause: err });
  }
}

async function* unzstd(source: ByteSource, member: string): AsyncGenerator<Buffer> {
  const binding = await loadZstd(member);
  const dctx = new binding.DCtx();
  dctx.setParameter(binding.DParameter.windowLogMax, ZSTD_WINDOW_LOG_MAX);
  let inFrame = false;
  for await (const input of source) {
    let rest = input;
    // One step yields at most OUT_CHUNK bytes, then waits for the consumer: true backpressure.
    for (;;) {
      const out = Buffer.allocUnsafe(OUT_CHUNK);
      const [remaining, produced, consumed] = dctx.decompressStream(out, rest);
      rest = rest.subarray(consumed);
      inFrame = remaining !== 0;
      if (produced > 0) yield out.subarray(0, produced);
      if (rest.length === 0 && produced < out.length) break;
    }
  }
  if (inFrame) throw new Error('ended in middle of a zstd frame');
}

async function* passThrough(source: ByteSource): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}

/**
 * Decompresses `source` with `method`, yielding output as the consumer pulls it. Failures become
 * UpdaterErrors naming `member`.
 */
export async function* decompress(method: Compression, source: ByteSource, member: string): AsyncGenerator<Buffer> {
  const stream = method === 'gzip' ? gunzip(source)
    : method === 'lzma' ? unxz(source)
      : method === 'zstd' ? unzstd(source, member)
        : passThrough(source);
  try {
    for await (const chunk of stream) yield chunk;
  } catch (err) {
    throw decompressionError(member, method, err);
  }
}

/**
 * Decompresses a small stored member (a header) in full, refusing to produce more than `limit`
 * bytes: decompression stops as soon as the bound is crossed, so a bomb costs nothing.
 */
export async function expandBounded(stored: Buffer, method: Compression, member: string, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of decompress(method, [stored], member)) {
    total += chunk.length;
    if (total > limit) {
      throw new UpdaterError('ARTIFACT_TOO_LARGE', `${member}: expands beyond ${limit} bytes from ${stored.length} stored (decompression bound)`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
