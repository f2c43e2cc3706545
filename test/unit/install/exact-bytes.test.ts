// The installer gets exactly the bytes that were checked: the header bytes are re-read from the
// same descriptor and must hash as they did at the check, then the rest of the file follows.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactBytes } from '../../../src/install/index.js';
import { collectCandidates, type ReadFile } from '../../../src/media/index.js';
import { configSchema, pathRule } from '../../../src/policy/index.js';
import { artifact } from '../../support/skip/fixtures.js';
import { fakeStick } from '../../support/fakes/fake-stick-fs.js';
import { realStickFs } from '../../../src/system/media/stick-fs.js';
import { withTempDir } from '../../support/harness/temp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

async function checked(bytes: Buffer): Promise<ReadFile> {
  const { search } = configSchema.parse({ signature: { required: false } });
  const stick = fakeStick('/s', { 'a.mender': bytes });
  const { files } = await collectCandidates(['/s'], stick, { rule: pathRule(search), maxDepth: 1, maxEntries: 100, keys: [], signal: new AbortController().signal });
  const file = files.get('/s/a.mender');
  assert.ok(file);
  return file;
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('exactBytes', () => {
  for (const chunkBytes of [1000, 64 * 1024]) {
    it(`sends the whole file, header first, with its byte count and progress (chunks of ${chunkBytes})`, async () => {
      const bytes = Buffer.from(artifact('rootfs-gzip-rsa.mender'));
      const file = await checked(bytes);
      assert.ok(file.consumed.bytes > 0 && file.consumed.bytes <= bytes.length);
      const progress: number[] = [];
      const { stream, totals } = exactBytes(file, { chunkBytes, onProgress: (n) => progress.push(n) });
      const sent = await drain(stream);
      assert.ok(sent.equals(bytes));
      assert.equal(totals.bytes, bytes.length);
      assert.equal(progress.at(-1), bytes.length);
    });
  }

  it('sends a real file exactly while its reads reuse two buffers (the header spans many chunks)', async () => {
    const bytes = Buffer.from(artifact('rootfs-gzip-rsa.mender'));
    await withTempDir(async (dir) => {
      writeFileSync(join(dir, 'a.mender'), bytes);
      const { search } = configSchema.parse({ signature: { required: false } });
      const { files } = await collectCandidates([dir], realStickFs, { rule: pathRule(search), maxDepth: 1, maxEntries: 100, keys: [], signal: new AbortController().signal });
      const file = files.get(join(dir, 'a.mender'));
      assert.ok(file);
      try {
        // Chunks far smaller than the checked header: the held prefix must survive the buffers' reuse.
        assert.ok(file.consumed.bytes > 4 * 512);
        const { stream, totals } = exactBytes(file, { chunkBytes: 512 });
        const copies: Buffer[] = [];
        for await (const chunk of stream) copies.push(Buffer.from(chunk));
        assert.ok(Buffer.concat(copies).equals(bytes));
        assert.equal(totals.bytes, bytes.length);
      } finally {
        await file.artifact.close();
      }
    });
  });

  it('refuses, before sending a byte, a file whose checked bytes read differently the second time', async () => {
    const bytes = Buffer.from(artifact('rootfs-gzip-rsa.mender'));
    const file = await checked(bytes);
    // The stick answers the second read with other data (the "read it twice" attack).
    bytes[700] = (bytes[700] ?? 0) ^ 0xff;
    const { stream, totals } = exactBytes(file, { chunkBytes: 64 * 1024 });
    await assert.rejects(drain(stream), { code: 'INSTALL_SOURCE_CHANGED' });
    assert.equal(totals.bytes, 0);
  });

  it('refuses a file that became shorter than what was checked', async () => {
    const bytes = Buffer.from(artifact('rootfs-none-unsigned.mender'));
    const file = await checked(bytes);
    const shorter: ReadFile = { ...file, artifact: { ...file.artifact, chunks: (n: number, start?: number) => file.artifact.chunks(n, start), size: 10 }, consumed: { bytes: bytes.length + 1, sha256: () => file.consumed.sha256() } };
    await assert.rejects(drain(exactBytes(shorter, { chunkBytes: 4096 }).stream), { code: 'INSTALL_SOURCE_CHANGED' });
  });
});
