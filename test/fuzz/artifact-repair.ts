// The artifact target's repair step, applied to some mutated inputs: after a mutation, recompute what
// a forger would, the ustar header checksums (of the artifact and of its uncompressed inner tars) and
// the SHA-256 digests in `manifest` and `manifest-augment`. A mutated member name, size or header JSON
// then reaches the reader's member and header checks instead of stopping at a checksum.

import { createHash } from 'node:crypto';
import { listMembers, type MemberSpan } from '../support/artifacts/tar-tools.js';

const sha256hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const MANIFEST_LINE = /^([0-9a-f]{64}) {2}(.+)$/;
const UNCOMPRESSED_TAR = /^(header\.tar|header-augment\.tar|data\/\d{4}\.tar)$/;

/** The members of `tar`, or none when its headers cannot be walked; only spans inside the buffer. */
function spansOf(tar: Buffer): MemberSpan[] {
  try {
    return listMembers(tar).filter((m) => Number.isSafeInteger(m.size) && m.size >= 0 && m.data + m.size <= tar.length);
  } catch {
    return [];
  }
}

/** Writes the checksum field of the ustar header at `at` for the block as it is; true when it changed. */
function fixHeaderChecksum(tar: Buffer, at: number): boolean {
  let sum = 0;
  // The checksum is the byte sum of the header with its own 8-byte field counted as spaces.
  for (let i = 0; i < 512; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (tar[at + i] as number);
  const field = `${sum.toString(8).padStart(6, '0')}\0 `;
  if (tar.toString('latin1', at + 148, at + 156) === field) return false;
  tar.write(field, at + 148, 'latin1');
  return true;
}

function fixTarHeaders(tar: Buffer): boolean {
  let changed = false;
  for (const m of spansOf(tar)) changed = fixHeaderChecksum(tar, m.header) || changed;
  return changed;
}

/** A repaired copy of `input`, or null when there was nothing to repair. */
export function repairArtifact(input: Buffer): Buffer | null {
  const output = Buffer.from(input);
  let changed = fixTarHeaders(output);
  const members = spansOf(output);
  const digests = new Map<string, string>();
  for (const m of members) {
    const body = output.subarray(m.data, m.data + m.size);
    if (UNCOMPRESSED_TAR.test(m.name)) changed = fixTarHeaders(body) || changed;
    digests.set(m.name, sha256hex(body));
    const data = /^data\/(\d{4})\.tar$/.exec(m.name);
    // An uncompressed payload's files are listed one by one in the manifest.
    if (data) for (const f of spansOf(body)) digests.set(`data/${data[1]}/${f.name}`, sha256hex(body.subarray(f.data, f.data + f.size)));
  }
  for (const m of members.filter((x) => x.name === 'manifest' || x.name === 'manifest-augment')) {
    let offset = m.data;
    for (const line of output.toString('latin1', m.data, m.data + m.size).split('\n')) {
      const match = MANIFEST_LINE.exec(line);
      const digest = match ? digests.get(match[2] as string) : undefined;
      if (digest !== undefined && digest !== match?.[1]) {
        output.write(digest, offset, 'latin1');
        changed = true;
      }
      offset += line.length + 1;
    }
  }
  return changed ? output : null;
}
