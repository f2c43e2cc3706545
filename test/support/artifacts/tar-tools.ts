// Test-only tar surgery for the bad-input corpus: list the members of an outer artifact tar with
// their byte offsets, and build tars from chosen entries (including ones the reader must refuse).

import tar from 'tar-stream';

export interface MemberSpan {
  name: string;
  /** Offset of the 512-byte header block. */
  header: number;
  /** Offset of the first data byte. */
  data: number;
  size: number;
  /** Offset just past the padded data: where the next header starts. */
  end: number;
}

/** Walks the ustar headers of `buf` (plain names only, as mender-artifact writes them). */
export function listMembers(buf: Buffer): MemberSpan[] {
  const spans: MemberSpan[] = [];
  let offset = 0;
  while (offset + 512 <= buf.length) {
    const block = buf.subarray(offset, offset + 512);
    if (block.every((b) => b === 0)) break;
    const name = block.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(block.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
    const data = offset + 512;
    const end = data + Math.ceil(size / 512) * 512;
    spans.push({ name, header: offset, data, size, end });
    offset = end;
  }
  return spans;
}

export interface EntrySpec {
  name: string;
  data?: Buffer;
  type?: 'file' | 'symlink' | 'link' | 'directory' | 'fifo' | 'character-device';
  linkname?: string;
  /** Declared size, when it should differ from data.length (only for non-file types). */
  size?: number;
}

/** Builds a tar archive from `entries`, in order. */
export async function buildTar(entries: readonly EntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    await new Promise<void>((resolve, reject) => {
      const header = { name: entry.name, type, mode: 0o600, ...(entry.linkname ? { linkname: entry.linkname } : {}) };
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, entry.data ?? Buffer.alloc(0), cb);
      else pack.entry({ ...header, size: 0 }, cb);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** Reads every member of an artifact into memory (small fixtures only). */
export function readMembers(buf: Buffer): Array<{ name: string; data: Buffer }> {
  return listMembers(buf).map((m) => ({ name: m.name, data: buf.subarray(m.data, m.data + m.size) }));
}
