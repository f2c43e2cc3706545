// Feeding bytes to a command through a FIFO: the command reads exactly the input; a command that
// exits early, with or without opening its input, ends the feeding instead of hanging it; a failing
// input is reported as such, after the command saw its input end. The writer's blocking open, made
// once the command has the FIFO open, must not hang when the command closes it and exits first.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { runWithFifoInput } from '../../src/system/install/fifo-input.js';

const chunks = (data: Buffer, size: number): Buffer[] => Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));

describe('runWithFifoInput', () => {
  it('the command reads exactly the input, many pipe-fulls of it', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const result = await runWithFifoInput('sh', (path) => ['-c', 'sha256sum < "$0"', path], chunks(data, 512 * 1024));
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'));
  });

  it('a command that stops reading early ends the feeding (no hang), and its status is kept', async () => {
    const result = await runWithFifoInput('sh', (path) => ['-c', 'head -c 10 "$0" > /dev/null; exit 3', path], chunks(randomBytes(4 * 1024 * 1024), 64 * 1024));
    assert.equal(result.code, 3);
  });

  it('a command that never opens its input does not hang either', async () => {
    const result = await runWithFifoInput('sh', () => ['-c', 'exit 5'], [Buffer.from('x')]);
    assert.equal(result.code, 5);
  });

  it('a command that reads its input the moment it opened it never sees it end early', async () => {
    // The shell's own `read` opens and reads at once (the Mender client does too): the FIFO must
    // never be without a writer of ours from the moment the command's open returned.
    for (let i = 0; i < 20; i++) {
      const result = await runWithFifoInput('sh', (path) => ['-c', 'read -r line < "$0" && echo "got $line"', path], [Buffer.from(`line ${i}\n`)]);
      assert.equal(result.stdout, `got line ${i}\n`, result.output);
    }
  });

  it('a command that opens its input and exits at once, before our writer is open, ends the feeding (no hang)', async () => {
    // `: < FIFO` opens the FIFO, which lets our probe see a reader, then closes it and exits: the
    // blocking open for writing that follows finds no reader. Repeated, so the race is met both ways.
    for (let i = 0; i < 20; i++) {
      const result = await runWithFifoInput('sh', (path) => ['-c', ': < "$0"; exit 4', path], chunks(randomBytes(256 * 1024), 64 * 1024));
      assert.equal(result.code, 4);
    }
  });

  it('an input that fails is reported, and the command saw its input end', async () => {
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(1000, 1);
      await Promise.resolve();
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    await assert.rejects(runWithFifoInput('sh', (path) => ['-c', 'wc -c < "$0"', path], failing()), /EIO: i\/o error, read/);
  });
});
