// Issue 15, class 7: the install's watchdog and its FIFO folder. A reader that takes no byte for
// the stall timeout is ended with INSTALL_STALLED; a slow but steady one is not; the FIFO lives in
// the given folder (the state folder), and folders a killed install left there are removed first.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isUpdaterError } from '../../../../src/errors/index.js';
import { runWithFifoInput } from '../../../../src/system/install/fifo-input.js';
import { endless } from '../../../support/fakes/endless-input.js';

async function withDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'stall-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('issue 15: the install stall watchdog', () => {
  it('ends a client that opens its input and takes no byte, with INSTALL_STALLED, within the bound', async () => {
    const start = Date.now();
    await assert.rejects(
      runWithFifoInput('sh', (path) => ['-c', 'exec 3<"$1"; exec sleep 60', 'sh', path], endless(), { stallTimeoutMs: 300 }),
      (err) => isUpdaterError(err) && err.code === 'INSTALL_STALLED' && /took no byte/.test(err.message),
    );
    assert.ok(Date.now() - start < 10_000, `took ${Date.now() - start} ms`);
  });

  it('ends a client that stops reading half way', async () => {
    // dd reads 2 MiB, then the shell sleeps with the FIFO still open.
    await assert.rejects(
      runWithFifoInput('sh', (path) => ['-c', 'exec 3<"$1"; dd bs=64k count=32 <&3 >/dev/null 2>&1; exec sleep 60', 'sh', path], endless(), { stallTimeoutMs: 300 }),
      (err) => isUpdaterError(err) && err.code === 'INSTALL_STALLED',
    );
  });

  it('leaves a slow but steady client alone: 4 MiB read in 64 KiB steps, 20 ms apart, with a 5 s bound', async () => {
    const input = Array.from({ length: 64 }, () => new Uint8Array(64 * 1024));
    const script = 'exec 3<"$1"; for i in $(seq 64); do dd bs=64k count=1 iflag=fullblock <&3 >/dev/null 2>&1; sleep 0.02; done; cat <&3 >/dev/null';
    // The bound must hold a whole write of the pipe's write-ahead (1 MiB) at the client's pace.
    const result = await runWithFifoInput('bash', (path) => ['-c', script, 'sh', path], input, { stallTimeoutMs: 5000 });
    assert.equal(result.code, 0, result.output);
  });

  it('makes the FIFO in the given folder and removes folders a killed install left there', async () => {
    await withDir(async (parent) => {
      await mkdir(join(parent, 'usb-updater-stream-old1'));
      await mkdir(join(parent, 'keep-me'));
      const result = await runWithFifoInput('sh', (path) => ['-c', 'case "$1" in "$2"/usb-updater-stream-*/artifact.mender) cat "$1" >/dev/null;; *) exit 9;; esac', 'sh', path, parent], [new Uint8Array(10)], { parent, stallTimeoutMs: 5000 });
      assert.equal(result.code, 0);
      assert.deepEqual(await readdir(parent), ['keep-me']);
    });
  });
});
