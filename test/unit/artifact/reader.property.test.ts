// Properties of the artifact reader over the real fixtures, checked on inputs fast-check draws: any
// cut or single flipped byte ends in a result or a documented error code, a flip that still reads
// changes nothing in the model, any chunking of the stream reads the same, and header-only mode
// gives exactly the full read's header.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parsePublicKey, readArtifact, type ArtifactInfo, type ReadOptions } from '../../../src/artifact/index.js';
import { ERROR_CODES, isUpdaterError } from '../../../src/errors/index.js';
import { artifact, FIXTURE_NAMES, keyPem } from '../../support/skip/fixtures.js';
import { listMembers } from '../../support/artifacts/tar-tools.js';

const fixtures = new Map(FIXTURE_NAMES.map((name) => [name, artifact(name)]));
const bytesOf = (name: string): Buffer => fixtures.get(name as (typeof FIXTURE_NAMES)[number]) as Buffer;
const KEYS = [parsePublicKey(keyPem('ec-p256.pub'), 'ec-p256.pub'), parsePublicKey(keyPem('rsa3072.pub'), 'rsa3072.pub')];
const anyFixture = fc.constantFrom(...FIXTURE_NAMES);
const RUNS = { numRuns: 60 };
const SLOW = { timeout: 120_000 };

type Read = { ok: true; info: ArtifactInfo } | { ok: false; code: string };

/** The outcome of a read; fails the property on any error that is not a documented UpdaterError. */
async function read(source: Buffer | Iterable<Uint8Array>, options: ReadOptions): Promise<Read> {
  try {
    return { ok: true, info: await readArtifact(Buffer.isBuffer(source) ? [source] : source, options) };
  } catch (err) {
    assert.ok(isUpdaterError(err), `not an UpdaterError: ${String(err)}`);
    assert.ok(Object.hasOwn(ERROR_CODES, err.code), `undocumented code ${err.code}`);
    return { ok: false, code: err.code };
  }
}

const originals = new Map<string, ArtifactInfo>();
async function original(name: string, options: ReadOptions): Promise<ArtifactInfo> {
  const key = `${name}:${options.mode}:${options.keys ? 'keys' : ''}`;
  const known = originals.get(key);
  if (known) return known;
  const info = await readArtifact([bytesOf(name)], options);
  originals.set(key, info);
  return info;
}

describe('artifact reader properties', () => {
  it('any cut of a fixture ends in a result or a documented error, in both modes', SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(anyFixture, fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom<'header' | 'full'>('header', 'full'), async (name, where, mode) => {
        const buf = bytesOf(name);
        const cut = Math.floor(where * buf.length);
        const outcome = await read(buf.subarray(0, cut), { mode });
        // A full read needs every byte up to the end of the last member's data.
        const last = listMembers(buf).at(-1);
        if (mode === 'full' && outcome.ok) assert.ok(last && cut >= last.data + last.size, `a cut at ${cut} of ${buf.length} bytes read as complete`);
      }),
      RUNS,
    );
  });

  it('a single flipped byte is rejected with a documented code, or changes nothing in the model', SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(anyFixture, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 255 }), async (name, where, mask) => {
        const buf = Buffer.from(bytesOf(name));
        const at = Math.min(buf.length - 1, Math.floor(where * buf.length));
        buf[at] = (buf[at] as number) ^ mask;
        const outcome = await read(buf, { mode: 'full' });
        // Every byte that shapes the model is covered by a checksum: one that still reads was padding.
        if (outcome.ok) assert.deepEqual(outcome.info, await original(name, { mode: 'full' }), `flip at ${at} changed the model`);
      }),
      RUNS,
    );
  });

  it('any chunking of the stream gives the same model as one chunk', SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(anyFixture, fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), async (name, cuts) => {
        const buf = bytesOf(name);
        const points = [...new Set(cuts.map((c) => Math.floor(c * buf.length)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((from, i) => buf.subarray(from, points[i] ?? buf.length));
        assert.deepEqual(await readArtifact(chunks, { mode: 'full' }), await original(name, { mode: 'full' }));
      }),
      { numRuns: 40 },
    );
  });

  it('header-only mode gives the full read\'s model, without sizes, for every fixture and key set', SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(anyFixture, fc.boolean(), async (name, withKeys) => {
        const keys: ReadOptions = withKeys ? { mode: 'full', keys: KEYS, signature: 'report' } : { mode: 'full' };
        const full = await original(name, keys);
        const header = await original(name, { ...keys, mode: 'header' });
        assert.equal(full.payloads_verified, true);
        assert.equal(header.payloads_verified, false);
        const unsized = { ...full, payloads_verified: false, payloads: full.payloads.map((p) => ({ ...p, files: p.files.map((f) => ({ ...f, size: null })) })) };
        assert.deepEqual(header, unsized);
      }),
      { numRuns: 16 },
    );
  });
});
