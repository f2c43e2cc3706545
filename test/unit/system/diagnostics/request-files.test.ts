// Reading a diagnostics request from a stick is reading untrusted input (issue 17): a missing file
// is no request; a link is never followed; a FIFO is refused at once, never waited on; a folder or
// a file over the bound is refused; and the pair the laptop writes reads back as written.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REQUEST_FILE, REQUEST_MAX_BYTES, SIGNATURE_FILE } from '../../../../src/diagnostics/index.js';
import { readBoundedStickFile, readRequestFiles, writeRequestFiles } from '../../../../src/system/diagnostics/request-files.js';
import { withTempDir } from '../../../support/harness/temp.js';

describe('readRequestFiles', () => {
  it('no request: missing, and the signature is not looked at', () =>
    withTempDir(async (stick) => {
      writeFileSync(join(stick, SIGNATURE_FILE), 'AAAA\n');
      assert.deepEqual(await readRequestFiles(stick), { request: { status: 'missing' }, signature: { status: 'missing' } });
    }));

  it('a request and its signature: their bytes; a request alone: the signature missing', () =>
    withTempDir(async (stick) => {
      writeFileSync(join(stick, REQUEST_FILE), '{"format":1}\n');
      assert.deepEqual(await readRequestFiles(stick), { request: { status: 'ok', bytes: Buffer.from('{"format":1}\n') }, signature: { status: 'missing' } });
      writeFileSync(join(stick, SIGNATURE_FILE), 'AAAA\n');
      assert.deepEqual((await readRequestFiles(stick)).signature, { status: 'ok', bytes: Buffer.from('AAAA\n') });
    }));

  it('a link to a file elsewhere is refused, never followed', () =>
    withTempDir(async (dir) => {
      const stick = join(dir, 'stick');
      mkdirSync(stick);
      writeFileSync(join(dir, 'outside.json'), '{"format":1}');
      symlinkSync(join(dir, 'outside.json'), join(stick, REQUEST_FILE));
      assert.deepEqual((await readRequestFiles(stick)).request, { status: 'refused', message: 'a link: refused, never followed' });
    }));

  it('a FIFO is refused at once (no writer is waited for); a folder is refused', () =>
    withTempDir(async (stick) => {
      execFileSync('mkfifo', [join(stick, REQUEST_FILE)]);
      const started = Date.now();
      assert.deepEqual((await readRequestFiles(stick)).request, { status: 'refused', message: 'not a regular file' });
      assert.ok(Date.now() - started < 2000);
      mkdirSync(join(stick, 'folder'));
      assert.deepEqual(await readBoundedStickFile(stick, 'folder', 100), { status: 'refused', message: 'not a regular file' });
    }));

  it('a request over its bound is refused without being read', () =>
    withTempDir(async (stick) => {
      writeFileSync(join(stick, REQUEST_FILE), Buffer.alloc(REQUEST_MAX_BYTES + 1, 0x20));
      assert.deepEqual((await readRequestFiles(stick)).request, { status: 'refused', message: `${REQUEST_MAX_BYTES + 1} bytes, more than the ${REQUEST_MAX_BYTES} a request may have` });
      writeFileSync(join(stick, REQUEST_FILE), Buffer.alloc(REQUEST_MAX_BYTES, 0x20));
      assert.equal((await readRequestFiles(stick)).request.status, 'ok');
    }));
});

describe('writeRequestFiles', () => {
  it('writes both files into a new folder, replacing an older pair, and leaves no temp file', () =>
    withTempDir(async (dir) => {
      const out = join(dir, 'stick', 'top');
      await writeRequestFiles(out, 'old\n', 'old\n');
      const files = await writeRequestFiles(out, '{"format":1}\n', 'c2ln\n');
      assert.deepEqual(files, [join(out, REQUEST_FILE), join(out, SIGNATURE_FILE)]);
      assert.equal(readFileSync(join(out, REQUEST_FILE), 'utf8'), '{"format":1}\n');
      assert.equal(readFileSync(join(out, SIGNATURE_FILE), 'utf8'), 'c2ln\n');
      assert.deepEqual(execFileSync('ls', ['-A', out], { encoding: 'utf8' }).trim().split('\n').sort(), [REQUEST_FILE, SIGNATURE_FILE].sort());
    }));

  it('a folder that cannot be made is IO_ERROR naming it', () =>
    withTempDir(async (dir) => {
      writeFileSync(join(dir, 'file'), '');
      await assert.rejects(writeRequestFiles(join(dir, 'file', 'sub'), 'a', 'b'), (err: Error & { code?: string }) => err.code === 'IO_ERROR' && err.message.includes(join(dir, 'file', 'sub')));
    }));
});
