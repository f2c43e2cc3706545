// Reading a stick's report files on a laptop (issue 17), on the real file system: a mount point, a
// copy of the folder or one file; links, FIFOs, oversized, non-UTF-8 files refused one by one with the
// reason (a FIFO without waiting on it), hidden and temp files and the .txt twins passed over.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isUpdaterError } from '../../../../src/errors/index.js';
import { readReportFiles } from '../../../../src/system/report/report-files.js';
import { withTempDir } from '../../../support/harness/temp.js';

const refusedOf = (read: { refused: { file: string; reason: string }[] }, dir: string): Record<string, string> => Object.fromEntries(read.refused.map((r) => [r.file.slice(dir.length + 1), r.reason]));

describe('readReportFiles', () => {
  it('reads the report folder of a mount point, a copy of it, or one file; .txt, hidden and temp files are passed over', () =>
    withTempDir(async (dir) => {
      const folder = join(dir, 'stick', 'usb-updater-reports');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'a-20261206T100000Z.json'), '{"a":1}');
      writeFileSync(join(folder, 'a-20261206T100000Z.txt'), 'text');
      writeFileSync(join(folder, 'B.JSON'), '{"b":1}');
      writeFileSync(join(folder, '.a-20261206T100001Z.json.part'), 'half');
      writeFileSync(join(folder, '.hidden.json'), '{}');
      writeFileSync(join(dir, 'stick', 'release-2.0.mender'), 'not read');
      const fromStick = await readReportFiles([join(dir, 'stick')]);
      assert.deepEqual(fromStick.files.map((f) => f.file), [join(folder, 'B.JSON'), join(folder, 'a-20261206T100000Z.json')]);
      assert.deepEqual(fromStick.files.map((f) => f.text), ['{"b":1}', '{"a":1}']);
      assert.deepEqual(fromStick.refused, []);
      assert.deepEqual((await readReportFiles([folder])).files.length, 2);
      const one = await readReportFiles([join(folder, 'B.JSON')]);
      assert.deepEqual(one.files, [{ file: join(folder, 'B.JSON'), text: '{"b":1}' }]);
    }));

  it('refuses links, FIFOs, folders, oversized and non-UTF-8 files one by one, and reads the rest', () =>
    withTempDir(async (dir) => {
      writeFileSync(join(dir, 'secret.json'), '{"laptop":"file"}');
      const folder = join(dir, 'copy');
      mkdirSync(folder);
      writeFileSync(join(folder, 'good.json'), '{"ok":true}');
      symlinkSync(join(dir, 'secret.json'), join(folder, 'link.json'));
      execFileSync('mkfifo', [join(folder, 'fifo.json')]);
      mkdirSync(join(folder, 'dir.json'));
      writeFileSync(join(folder, 'big.json'), 'x'.repeat(2000));
      writeFileSync(join(folder, 'latin1.json'), Buffer.from([0x7b, 0xe9, 0x7d]));
      // A name that is not UTF-8 still opens: it is listed as bytes.
      writeFileSync(Buffer.from(`${folder}/odd-\xff.json`, 'latin1'), '{"odd":1}');
      const started = Date.now();
      const read = await readReportFiles([folder], { maxBytes: 1000 });
      assert.ok(Date.now() - started < 5000, 'the FIFO was not waited on');
      assert.deepEqual(read.files.map((f) => f.text).sort(), ['{"odd":1}', '{"ok":true}']);
      assert.deepEqual(refusedOf(read, folder), {
        'big.json': '2000 bytes, over the 1000-byte limit of a report',
        'dir.json': 'a folder, not a regular file',
        'fifo.json': 'a FIFO, not a regular file',
        'latin1.json': 'not UTF-8 text',
        'link.json': 'a link: not followed',
      });
    }));

  it('does not follow a report folder that is a link, and bounds the files read from one folder', () =>
    withTempDir(async (dir) => {
      mkdirSync(join(dir, 'elsewhere'));
      writeFileSync(join(dir, 'elsewhere', 'x.json'), '{}');
      mkdirSync(join(dir, 'stick'));
      symlinkSync(join(dir, 'elsewhere'), join(dir, 'stick', 'usb-updater-reports'));
      const linked = await readReportFiles([join(dir, 'stick')]);
      assert.deepEqual(linked.files, []);
      assert.deepEqual(linked.refused, [{ file: join(dir, 'stick', 'usb-updater-reports'), reason: 'a link: not followed' }]);
      for (let i = 0; i < 5; i++) writeFileSync(join(dir, 'elsewhere', `r${i}.json`), '{}');
      const bounded = await readReportFiles([join(dir, 'elsewhere')], { maxFiles: 3 });
      assert.equal(bounded.files.length, 3);
      assert.deepEqual(bounded.refused, [{ file: join(dir, 'elsewhere'), reason: '6 report files: only the first 3 by name were read' }]);
    }));

  it('a path that does not exist is IO_ERROR', () =>
    withTempDir(async (dir) => {
      await assert.rejects(readReportFiles([join(dir, 'missing')]), (err: unknown) => isUpdaterError(err) && err.code === 'IO_ERROR' && /no such file or folder/.test(err.message));
    }));
});
