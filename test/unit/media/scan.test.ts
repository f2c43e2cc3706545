// The stick search on an in-memory stick: what is found, what is skipped and why, the bounds, and a
// stick that goes away mid-search (every descriptor closed, MEDIA_GONE).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpdaterError } from '../../../src/errors/index.js';
import { scanStick, type ScanOptions, type ScanResult } from '../../../src/media/index.js';
import { configSchema, pathRule } from '../../../src/policy/index.js';
import { Fifo, Link, Mount, fakeStick, type FakeTree } from '../../support/fakes/fake-stick-fs.js';

const bytes = (n: number): Buffer => Buffer.alloc(n, 1);

function options(search: Record<string, unknown> = {}): ScanOptions {
  const { search: s } = configSchema.parse({ signature: { required: false }, search });
  return { rule: pathRule(s), maxDepth: s.max_depth, maxEntries: s.max_entries };
}

const summary = (result: ScanResult): { files: string[]; skipped: [string, string][] } => ({
  files: result.files.map((f) => f.path),
  skipped: result.skipped.map((s) => [s.path, s.reason.code]),
});

describe('scanStick', () => {
  it('finds candidates by the globs, in name order, and skips the rest with reasons', async () => {
    const tree: FakeTree = {
      'b.mender': bytes(10),
      'a.mender': bytes(10),
      '._a.mender': bytes(10),
      '.hidden.mender': bytes(10),
      'link.mender': new Link('/etc/passwd'),
      'pipe.mender': new Fifo(),
      'empty.mender': bytes(0),
      'dir.mender': {},
      'bad\u0007name.mender': bytes(10),
      'readme.txt': bytes(10),
      updates: { 'c.mender': bytes(10), deeper: { 'd.mender': bytes(10) } },
    };
    const stick = fakeStick('/s', tree);
    const result = await scanStick('/s', stick, options());
    assert.deepEqual(summary(result), {
      files: ['a.mender', 'b.mender', 'updates/c.mender'],
      skipped: [
        ['._a.mender', 'APPLEDOUBLE_FILE'],
        ['.hidden.mender', 'HIDDEN_FILE'],
        ['bad\u0007name.mender', 'BAD_NAME'],
        ['dir.mender', 'NOT_REGULAR_FILE'],
        ['empty.mender', 'EMPTY_FILE'],
        ['link.mender', 'SYMLINK'],
        ['pipe.mender', 'NOT_REGULAR_FILE'],
      ],
    });
    // Only the candidates stay open, for the caller to read and close.
    assert.deepEqual([...stick.openPaths].sort(), ['/s/a.mender', '/s/b.mender', '/s/updates/c.mender']);
    await Promise.all(result.files.map((f) => f.artifact.close()));
    assert.equal(stick.openPaths.size, 0);
  });

  it('does not descend past max_depth nor into another filesystem mounted on the stick', async () => {
    const tree: FakeTree = { a: { b: { c: { 'x.mender': bytes(1) } } }, other: new Mount({ 'y.mender': bytes(1) }) };
    const deep = await scanStick('/s', fakeStick('/s', tree), options({ paths: ['**/*.mender'], max_depth: 3 }));
    assert.deepEqual(summary(deep).files, ['a/b/c/x.mender']);
    const shallow = await scanStick('/s', fakeStick('/s', tree), options({ paths: ['**/*.mender'], max_depth: 2 }));
    assert.deepEqual(summary(shallow).files, []);
  });

  // Hostile sticks (issue 8): a folder named with invalid UTF-8 reads back as U+FFFD, a name that
  // lists nothing (ENOENT, as on a real stick); it used to end the whole search as MEDIA_GONE.
  it('does not search a folder with a bad name, and still finds the rest of the stick', async () => {
    const tree: FakeTree = { 'good.mender': bytes(5), '\ufffd': { 'a.mender': bytes(5) }, 'tab\tdir': { 'b.mender': bytes(5) } };
    const stick = fakeStick('/s', tree, { '/s/\ufffd': 'ENOENT' });
    const result = await scanStick('/s', stick, options({ paths: ['**/*.mender'] }));
    assert.deepEqual(summary(result), { files: ['good.mender'], skipped: [['tab\tdir', 'BAD_NAME'], ['\ufffd', 'BAD_NAME']] });
    await Promise.all(result.files.map((f) => f.artifact.close()));
  });

  it('refuses a stick with more entries than max_entries rather than half-searching it', async () => {
    const tree: FakeTree = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}.txt`, bytes(1)]));
    await assert.rejects(scanStick('/s', fakeStick('/s', tree), options({ max_entries: 49 })), { code: 'MEDIA_TOO_MANY_ENTRIES' });
    const ok = await scanStick('/s', fakeStick('/s', tree), options({ max_entries: 50 }));
    assert.equal(ok.entries, 50);
  });

  for (const errno of ['EIO', 'ENODEV', 'ENOENT']) {
    it(`a stick pulled mid-search (${errno}) ends with MEDIA_GONE and every file closed`, async () => {
      const stick = fakeStick('/s', { 'a.mender': bytes(5), zz: { 'b.mender': bytes(5) } }, { '/s/zz': errno });
      await assert.rejects(scanStick('/s', stick, options()), (err: unknown) => {
        assert.ok(err instanceof UpdaterError);
        assert.equal(err.code, 'MEDIA_GONE');
        assert.match(err.message, new RegExp(`went away during the search \\(${errno}\\)`));
        return true;
      });
      assert.equal(stick.openPaths.size, 0);
    });
  }

  it('a file that became a link after the listing is refused by O_NOFOLLOW (ELOOP) and skipped', async () => {
    const stick = fakeStick('/s', { 'a.mender': bytes(5) }, { '/s/a.mender': 'ELOOP' });
    const result = await scanStick('/s', stick, options());
    assert.deepEqual(summary(result), { files: [], skipped: [['a.mender', 'SYMLINK']] });
  });

  it('stops when the deadline passes', async () => {
    await assert.rejects(scanStick('/s', fakeStick('/s', { 'a.mender': bytes(1) }), { ...options(), signal: AbortSignal.abort() }), { code: 'MEDIA_TIMEOUT' });
  });
});
