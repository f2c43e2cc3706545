// Full-mode payload check: streams one `data/NNNN.tar.*` member through its decompressor and the
// inner tar, hashing every file as it passes, and compares names and SHA-256 digests with what the
// manifests promised. Nothing is buffered: memory stays flat whatever the payload size.

import { createHash } from 'node:crypto';
import { UpdaterError } from '../errors/index.js';
import { decompress } from './decompress.js';
import type { Compression } from './model.js';
import { tarEntries } from './tar-entries.js';

/** Streams and checks one payload; returns the size of each file, by name. */
export async function verifyPayloadData(
  body: AsyncIterable<Uint8Array>,
  member: string,
  method: Compression,
  expected: ReadonlyMap<string, string>,
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const file of tarEntries(decompress(method, body, member), member)) {
    const where = `${member}: ${file.name}`;
    if (file.name.includes('/')) throw new UpdaterError('ARTIFACT_BAD_ENTRY', `${where}: payload files must not be in folders`);
    const want = expected.get(file.name);
    if (want === undefined) throw new UpdaterError('ARTIFACT_PAYLOAD_MISMATCH', `${where}: not listed in the manifest`);
    if (sizes.has(file.name)) throw new UpdaterError('ARTIFACT_DUPLICATE_MEMBER', `${where}: appears twice`);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of file.body) {
      hash.update(chunk);
      size += chunk.length;
    }
    const got = hash.digest('hex');
    if (got !== want) {
      throw new UpdaterError('ARTIFACT_CHECKSUM_MISMATCH', `${where}: SHA-256 ${got} does not match the manifest's ${want}`);
    }
    sizes.set(file.name, size);
  }
  const missing = [...expected.keys()].filter((name) => !sizes.has(name));
  if (missing.length > 0) {
    throw new UpdaterError('ARTIFACT_PAYLOAD_MISMATCH', `${member}: missing file(s) listed in the manifest: ${missing.join(', ')}`);
  }
  return sizes;
}
