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
 * The iterator's next step, or 'aborted' as soon as `signal` aborts, whichever comes first. A fresh
 * listener per step, removed when the step settles: racing every step against one long-lived
 * promise would keep every chunk reachable from that promise's reactions until the end.
 */
export function nextOrAbort(iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>, signal: AbortSignal): Promise<IteratorResult<Uint8Array> | 'aborted'> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve('aborted');
    const onAbort = (): void => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(iterator.next()).then(
      (step) => { signal.removeEventListener('abort', onAbort); resolve(step); },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err instanceof Error ? err : new Error(String(err))); },
    );
  });
}

// The errors a pump took from its source, not from its sink: the tar layer must not call a read
// error (EIO from a stick) or a bug in a byte source "not a tar archive".
const sourceErrors = new WeakSet<Error>();

/** True when `err` was thrown by a pump's source (and passed on to its sink), not by the sink. */
export function isSourceError(err: unknown): boolean {
  return err instanceof Error && sourceErrors.has(err);
}

function iteratorOf(source: ByteSource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}

/**
 * Feeds `source` into `sink` with backpressure, then ends it. A source error destroys the sink with
 * that error, so whoever reads the sink's output sees it. Stops early, without ending the sink, when
 * `signal` aborts or the sink is destroyed. Never rejects.
 *
 * An abort does not wait for a pending read: a reader that has what it needs must not hang on a
 * source that stalls (a pipe whose writer went quiet, a USB stick that stopped answering).
 */
export async function pump(
  source: ByteSource,
  sink: Sink,
  signal: AbortSignal,
  onChunk?: (bytes: number) => void,
): Promise<void> {
  const iterator = iteratorOf(source);
  let finished = false;
  try {
    for (;;) {
      const step = await nextOrAbort(iterator, signal);
      if (step === 'aborted' || sink.destroyed) return;
      if (step.done) {
        finished = true;
        sink.end();
        return;
      }
      onChunk?.(step.value.length);
      if (!sink.write(step.value)) await drained(sink, signal);
    }
  } catch (err) {
    finished = true; // a failed iterator is already closed
    const error = err instanceof Error ? err : new Error(String(err));
    sourceErrors.add(error);
    sink.destroy(error);
  } finally {
    // Close the source (a file stream, a generator) without waiting for a read it may still owe.
    if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined);
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
