// The installer's input is exactly the bytes the policy checked. The header read consumed the first
// N bytes of the open descriptor; they are read again from that descriptor and sent only if their
// SHA-256 is the one recorded at the check, then the rest of the same descriptor follows. A stick
// that answers differently the second time is caught before the client gets a byte; a payload that
// changes afterwards fails the client's checksum against the manifest that was checked. So the
// payload is not hashed here: the client hashes it anyway, and a second SHA-256 of every byte cost
// 0.05 s of CPU per 100 MiB on this machine (more on a device without SHA instructions), taken
// from the install (issue 16).

import { createHash } from 'node:crypto';
import { UpdaterError } from '../errors/index.js';
import type { ReadFile } from '../media/index.js';

export interface StreamTotals {
  /** Bytes handed to the installer so far. */
  bytes: number;
}

export interface ExactBytesOptions {
  chunkBytes: number;
  onProgress?: (bytes: number) => void;
}

/**
 * The bytes of `file` for the installer, and running totals of what was sent. `verify()` re-reads and
 * checks the header bytes up front (so the client need not even start when they changed); the
 * stream does it first otherwise. Each chunk of the stream is lent: valid only until the next one is
 * asked for (the consumer writes it out first, src/system/install/fifo-input.ts).
 */
export function exactBytes(file: ReadFile, options: ExactBytesOptions): { stream: AsyncIterable<Uint8Array>; totals: StreamTotals; verify: () => Promise<void> } {
  const totals: StreamTotals = { bytes: 0 };
  const emit = (chunk: Uint8Array): Uint8Array => {
    totals.bytes += chunk.length;
    options.onProgress?.(totals.bytes);
    return chunk;
  };

  // Lent chunks (the source reuses its buffers): whatever is kept past the next read is copied.
  const iterator = file.artifact.chunks(options.chunkBytes, 0, { reuse: true })[Symbol.asyncIterator]();
  let checked: Promise<{ prefix: Uint8Array[]; rest: Uint8Array | null }> | null = null;

  /** Reads the checked prefix again and compares its hash; memoized, so it runs once. */
  const verify = (): Promise<{ prefix: Uint8Array[]; rest: Uint8Array | null }> =>
    (checked ??= (async () => {
      const want = file.consumed.bytes;
      const prefix: Uint8Array[] = [];
      const prefixHash = createHash('sha256');
      let held = 0;
      let rest: Uint8Array | null = null;
      // Hold back the checked prefix until it is known to be the same bytes.
      while (held < want) {
        const step = await iterator.next();
        if (step.done === true) break;
        const take = Math.min(step.value.length, want - held);
        // A copy: the source may reuse this buffer for a later chunk of the prefix (the header is small).
        const head = new Uint8Array(step.value.subarray(0, take));
        prefix.push(head);
        prefixHash.update(head);
        held += take;
        if (take < step.value.length) rest = step.value.subarray(take);
      }
      if (held < want || prefixHash.digest('hex') !== file.consumed.sha256()) {
        await iterator.return?.();
        throw new UpdaterError('INSTALL_SOURCE_CHANGED', `${file.path}: the first ${want} bytes read differently from when the artifact was checked; nothing was installed`);
      }
      return { prefix, rest };
    })());

  async function* stream(): AsyncIterable<Uint8Array> {
    try {
      const { prefix, rest } = await verify();
      for (const chunk of prefix) yield emit(chunk);
      if (rest !== null) yield emit(rest);
      for (;;) {
        const step = await iterator.next();
        if (step.done === true) return;
        yield emit(step.value);
      }
    } finally {
      await iterator.return?.();
    }
  }
  return {
    stream: stream(),
    totals,
    verify: async () => {
      await verify();
    },
  };
}
