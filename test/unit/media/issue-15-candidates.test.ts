// Issue 15, classes 2 and 4 in the search: whatever goes wrong with one candidate is that
// candidate's reason (a bug as INTERNAL_ERROR with its message, a file we may not open as
// UNREADABLE), and every other candidate is still read.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePublicKey, type VerificationKey } from '../../../src/artifact/index.js';
import { collectCandidates, type StickFs } from '../../../src/media/index.js';
import { configSchema, pathRule, type Candidate } from '../../../src/policy/index.js';
import { artifact, keyPem } from '../../support/skip/fixtures.js';
import { fakeStick } from '../../support/fakes/fake-stick-fs.js';

const GOOD = artifact('rootfs-gzip-unsigned.mender');
const SIGNED = artifact('rootfs-gzip-rsa.mender');

async function candidates(fs: StickFs, keys: readonly VerificationKey[] = []): Promise<Candidate[]> {
  const { search } = configSchema.parse({ signature: { required: false } });
  const { candidates: found, files } = await collectCandidates(['/s'], fs, { rule: pathRule(search), maxDepth: 1, maxEntries: 100, keys, signal: new AbortController().signal });
  await Promise.all([...files.values()].map((f) => f.artifact.close()));
  return found;
}

const byPath = (list: Candidate[]): Record<string, string> =>
  Object.fromEntries(list.map((c) => [c.path, c.status === 'read' ? 'read' : `${c.status} ${c.reason.code}`]));

describe('issue 15: one candidate\'s failure is its own reason', () => {
  it('a bug while reading one file (a plain Error, not an UpdaterError) is INTERNAL_ERROR on it; the others are read', async () => {
    // The bug is planted where only a signed artifact reaches: checking its signature.
    const keys = Object.assign([parsePublicKey(keyPem('rsa3072.pub'), 'rsa3072.pub')], {
      some(): boolean {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
    });
    const stick = fakeStick('/s', { 'a.mender': GOOD, 'b.mender': SIGNED, 'c.mender': GOOD });
    const found = await candidates(stick, keys);
    assert.deepEqual(byPath(found), { '/s/a.mender': 'read', '/s/b.mender': 'failed INTERNAL_ERROR', '/s/c.mender': 'read' });
    const b = found.find((c) => c.path === '/s/b.mender');
    assert.ok(b && b.status === 'failed');
    assert.match(b.reason.message, /Cannot read properties of undefined/);
    assert.equal(stick.openPaths.size, 0, 'every file closed');
  });

  it('a read that fails mid-header (EIO) is UNREADABLE on that file, a bug in the byte source INTERNAL_ERROR: never "not a tar archive"', async () => {
    const stick = fakeStick('/s', { 'a.mender': GOOD, 'b.mender': GOOD, 'c.mender': GOOD }, { 'read:/s/a.mender': 'EIO', 'read:/s/b.mender': 'bug' });
    const found = await candidates(stick);
    assert.deepEqual(byPath(found), { '/s/a.mender': 'failed UNREADABLE', '/s/b.mender': 'failed INTERNAL_ERROR', '/s/c.mender': 'read' });
    const message = (path: string): string => {
      const c = found.find((x) => x.path === path);
      return c !== undefined && c.status === 'failed' ? c.reason.message : '';
    };
    assert.match(message('/s/a.mender'), /reading it failed \(EIO: /);
    assert.match(message('/s/b.mender'), /a bug in the byte source/);
    assert.equal(stick.openPaths.size, 0, 'every file closed');
  });

  for (const errno of ['EACCES', 'EPERM']) {
    it(`a file whose open fails with ${errno} is UNREADABLE, not the stick's error`, async () => {
      const stick = fakeStick('/s', { 'a.mender': GOOD, 'b.mender': GOOD }, { '/s/a.mender': errno });
      const found = await candidates(stick);
      assert.deepEqual(byPath(found), { '/s/a.mender': 'skipped UNREADABLE', '/s/b.mender': 'read' });
    });
  }
});
