// An artifact read from its one descriptor: whole, from an offset, and in lent chunks (two buffers
// taken in turn) for the install stream; and an untrusted file read whole within a bound.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FileHandle } from 'node:fs/promises';
import { artifactFromHandle, openArtifact, readBoundedFile } from '../../../../src/system/os/files.js';
import { withTempDir } from '../../../support/harness/temp.js';

async function withFile<T>(bytes: Buffer, work: (path: string) => Promise<T>): Promise<T> {
  return withTempDir((dir) => {
    const path = join(dir, 'a.mender');
    writeFileSync(path, bytes);
    return work(path);
  });
}

describe('openArtifact chunks', () => {
  const bytes = randomBytes(10_000 + 17);

  for (const reuse of [false, true]) {
    it(`gives every byte from the start and from an offset (reuse: ${String(reuse)})`, async () => {
      await withFile(bytes, async (path) => {
        const artifact = await openArtifact(path);
        try {
          for (const start of [0, 1, 4096, bytes.length]) {
            const copies: Buffer[] = [];
            // A copy of each chunk before the next is asked for: all a lent chunk promises.
            for await (const chunk of artifact.chunks(1000, start, { reuse })) copies.push(Buffer.from(chunk));
            assert.ok(Buffer.concat(copies).equals(bytes.subarray(start)), `from ${start}`);
          }
        } finally {
          await artifact.close();
        }
      });
    });
  }

  it('lends two buffers in turn: a chunk kept past the next one is overwritten later', async () => {
    const even = randomBytes(10_000);
    await withFile(even, async (path) => {
      const artifact = await openArtifact(path);
      try {
        const kept: Uint8Array[] = [];
        for await (const chunk of artifact.chunks(1000, 0, { reuse: true })) kept.push(chunk);
        assert.equal(kept.length, 10);
        const backing = new Set(kept.map((chunk) => chunk.buffer));
        assert.equal(backing.size, 2);
        // Chunks 0, 2, ... 8 share the first buffer: it now holds chunk 8.
        assert.ok(Buffer.from(kept[0] ?? []).equals(even.subarray(8000, 9000)));
        assert.ok(Buffer.from(kept[9] ?? []).equals(even.subarray(9000)));
      } finally {
        await artifact.close();
      }
    });
  });

  it('stops reading when the consumer stops, and closes cleanly after', async () => {
    await withFile(bytes, async (path) => {
      const artifact = await openArtifact(path);
      let first: Buffer | undefined;
      for await (const chunk of artifact.chunks(1000, 0, { reuse: true })) {
        first = Buffer.from(chunk);
        break;
      }
      await artifact.close();
      assert.ok(first?.equals(bytes.subarray(0, 1000)));
    });
  });

  it('a read ahead that fails while the caller holds a chunk fails the next pull, not the process', async () => {
    let reads = 0;
    const failing = {
      read: (buffer: Buffer) => {
        reads += 1;
        if (reads > 1) return Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
        buffer.fill(7, 0, 10);
        return Promise.resolve({ bytesRead: 10, buffer });
      },
    } as unknown as FileHandle;
    const iterator = artifactFromHandle(failing, '/stick/a.mender', 100).chunks(64, 0, { reuse: true })[Symbol.asyncIterator]();
    const first: IteratorResult<Uint8Array> = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(first.value.length, 10);
    // The stick is pulled while the caller holds the first chunk: the read ahead has failed by now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await assert.rejects(iterator.next(), { code: 'IO_ERROR', message: '/stick/a.mender: EIO: i/o error, read' });
    assert.equal(reads, 2);
  });
});

describe('readBoundedFile', () => {
  it('reads a file within its bound; says why not for a missing file, a link, a FIFO, a folder, another device and an oversized file', () =>
    withTempDir(async (dir) => {
      writeFileSync(join(dir, 'ok'), 'four');
      assert.deepEqual(await readBoundedFile(join(dir, 'ok'), 4), { status: 'ok', bytes: Buffer.from('four') });
      assert.deepEqual(await readBoundedFile(Buffer.from(join(dir, 'ok')), 4, { upTo: 'max' }), { status: 'ok', bytes: Buffer.from('four') });
      assert.deepEqual(await readBoundedFile(join(dir, 'ok'), 3), { status: 'too-large', size: 4 });
      assert.deepEqual(await readBoundedFile(join(dir, 'none'), 4), { status: 'missing' });
      symlinkSync(join(dir, 'ok'), join(dir, 'link'));
      assert.deepEqual(await readBoundedFile(join(dir, 'link'), 4), { status: 'link' });
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      assert.deepEqual(await readBoundedFile(join(dir, 'fifo'), 4), { status: 'not-regular', kind: 'a FIFO' });
      mkdirSync(join(dir, 'folder'));
      assert.deepEqual(await readBoundedFile(join(dir, 'folder'), 4), { status: 'not-regular', kind: 'a folder' });
      assert.deepEqual(await readBoundedFile(join(dir, 'ok'), 4, { dev: statSync(dir).dev + 1 }), { status: 'other-device' });
    }));
});
