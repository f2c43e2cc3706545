// The `manifest` and `manifest-augment` members: one `<sha256 hex>  <path>` line per checksummed
// file. Parsing is strict (exact separator, lowercase 64-hex digest, no duplicates) because the
// signature covers these bytes and every later checksum check trusts what they say.

import { UpdaterError } from '../errors/index.js';
import { LIMITS } from './limits.js';
import { isSafeName } from './tar-entries.js';

export type Manifest = ReadonlyMap<string, string>;

const LINE = /^([0-9a-f]{64}) {2}(\S(?:.*\S)?)$/;

export function parseManifest(bytes: Buffer, member: string): Manifest {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    throw new UpdaterError('ARTIFACT_BAD_MANIFEST', `${member}: not valid UTF-8`);
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new UpdaterError('ARTIFACT_BAD_MANIFEST', `${member}: empty`);
  if (lines.length > LIMITS.payloadFiles + 4) {
    throw new UpdaterError('ARTIFACT_TOO_LARGE', `${member}: more than ${LIMITS.payloadFiles} entries`);
  }
  const entries = new Map<string, string>();
  lines.forEach((line, index) => {
    const match = LINE.exec(line);
    if (!match) {
      throw new UpdaterError('ARTIFACT_BAD_MANIFEST', `${member}:${index + 1}: expected "<sha256>  <path>", found ${JSON.stringify(line.slice(0, 120))}`);
    }
    const [, digest, path] = match as unknown as [string, string, string];
    if (entries.has(path)) throw new UpdaterError('ARTIFACT_BAD_MANIFEST', `${member}:${index + 1}: ${path} is listed twice`);
    entries.set(path, digest);
  });
  return entries;
}

/**
 * A payload file path in a manifest: `data/0000/rootfs.img` → index 0, name `rootfs.img`. The name
 * must be one safe path component: it is shown to people and matched against tar entries.
 */
export function parseDataPath(path: string): { index: number; name: string } | null {
  const match = /^data\/(\d{4})\/([^/]+)$/.exec(path);
  const name = match?.[2];
  if (!match || name === undefined || name.length > LIMITS.nameLength || !isSafeName(name)) return null;
  return { index: Number(match[1]), name };
}
