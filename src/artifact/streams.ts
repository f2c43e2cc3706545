// Small stream helpers shared by the reader: backpressure-aware writes into Node or streamx
// writables, a pump that ends or destroys its sink, and bounded reads of small members.

import { UpdaterError } from '../errors/index.js';

/** Bytes in order: a file read stream, a generator, or an array of buffers. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** The part of a writable stream the pump needs; Node streams and streamx (tar-stream) both fit. */
export interface Sink {
  write(chunk: Uint8Array): boolean;
  end(chunk?: undefined): unknown;
  destroy(err?: Error): unknown;
  readonly destroyed: boolean;
  once(event: 'drain' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  off(event: 'drain' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/** Resolves when `sink` wants more data, or when it is closed or failed (then writing stops). */
function drained(sink: Sink, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      sink.off('close', done);
      sink.off('error', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    sink.once('drain', done);
    sink.once('close', done);
    sink.once('error', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Feeds `source` into `sink` with backpressure, then ends it. A source error destroys the sink with
 * that error, so whoever reads the sink's output sees it. Stops early, without ending the sink, when
 * `signal` aborts or the sink is destroyed. Never rejects.
 */
export async function pump(
  source: ByteSource,
  sink: Sink,
  signal: AbortSignal,
  onChunk?: (bytes: number) => void,
): Promise<void> {
  try {
    for await (const chunk of source) {
      if (signal.aborted || sink.destroyed) return;
      onChunk?.(chunk.length);
      if (!sink.write(chunk)) await drained(sink, signal);
      if (signal.aborted || sink.destroyed) return;
    }
    sink.end();
  } catch (err) {
    sink.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}

/** Reads a whole small member, refusing to hold more than `max` bytes. */
export async function readAll(body: AsyncIterable<Uint8Array>, max: number, member: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > max) throw new UpdaterError('ARTIFACT_TOO_LARGE', `${member}: larger than the ${max}-byte limit`);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat(chunks, total);
}
