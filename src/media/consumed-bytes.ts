// What a header read consumed from a candidate: how many bytes and their SHA-256. The installer
// later re-reads exactly those bytes from the same descriptor and sends them only if they hash the
// same, so a stick that answers a second read differently ("read it twice") is caught before a
// byte reaches the client, without holding every candidate's header in memory.

import { createHash } from 'node:crypto';

export interface ConsumedBytes {
  /** Bytes pulled through the source, from offset 0. */
  readonly bytes: number;
  /** SHA-256 (hex) of those bytes; final once the read is over. */
  sha256(): string;
}

/** Wraps `source` so that every chunk pulled through it is counted and hashed. */
export function consumedBy(source: AsyncIterable<Uint8Array>): { source: AsyncIterable<Uint8Array>; consumed: ConsumedBytes } {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | null = null;
  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const chunk of source) {
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  }
  const consumed: ConsumedBytes = {
    get bytes() {
      return bytes;
    },
    sha256: () => (digest ??= hash.digest('hex')),
  };
  return { source: counted(), consumed };
}
