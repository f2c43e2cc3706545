// Issue 15, classes 1 and 3 at the reader: JSON nesting and string length bounded while parsing, in
// every JSON member (version, header-info, type-info, meta-data), and a tar stream that runs past
// what its members declare (zeros of a pre-allocated or aborted copy, an endless pipe) refused
// after LIMITS.tarSlackBytes instead of read to its end. Inputs are forged here, around each limit.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS, readArtifact } from '../../../src/artifact/index.js';
import { checkJsonBounds } from '../../../src/artifact/json-bounds.js';
import { UpdaterError, type ErrorCode } from '../../../src/errors/index.js';
import { forgeArtifact } from '../../support/artifacts/forge.js';
import { buildTar, readMembers, type EntrySpec } from '../../support/artifacts/tar-tools.js';

const DEFAULT_INFO = { payloads: [{ type: 'rootfs-image' }], artifact_provides: { artifact_name: 'forged-1' }, artifact_depends: { device_type: ['dev-a'] } };
const DEFAULT_TYPE_INFO = { type: '', artifact_provides: { 'rootfs-image.version': 'forged-1' } };

/** A JSON object nested `depth` levels deep (the outermost object is level 1). */
const nested = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
/** A JSON array nested `depth` levels deep. */
const nestedArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

function headerWith(parts: { info?: string; typeInfo?: string; metaData?: string }): Promise<Buffer> {
  const entries: EntrySpec[] = [
    { name: 'header-info', data: Buffer.from(parts.info ?? JSON.stringify(DEFAULT_INFO)) },
    { name: 'headers/0000/type-info', data: Buffer.from(parts.typeInfo ?? JSON.stringify(DEFAULT_TYPE_INFO)) },
    { name: 'headers/0000/meta-data', data: Buffer.from(parts.metaData ?? '') },
  ];
  return forgeArtifact({ headerEntries: entries });
}

async function outcome(buf: Buffer | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<{ code: ErrorCode | 'ok'; message: string }> {
  try {
    await readArtifact(Buffer.isBuffer(buf) ? [buf] : buf, { mode: 'header' });
    return { code: 'ok', message: '' };
  } catch (err) {
    assert.ok(err instanceof UpdaterError, `not an UpdaterError: ${(err as Error).stack ?? String(err)}`);
    return { code: err.code, message: err.message };
  }
}

describe('issue 15: JSON depth at the parser', () => {
  const depth = LIMITS.jsonDepth;
  for (const [member, build] of [
    ['meta-data', (d: number) => headerWith({ metaData: nested(d) })],
    ['meta-data (arrays)', (d: number) => headerWith({ metaData: `{"a":${nestedArray(d - 1)}}` })],
    ['type-info', (d: number) => headerWith({ typeInfo: JSON.stringify(DEFAULT_TYPE_INFO).replace(/}$/, `,"x":${nested(d - 1)}}`) })],
    ['header-info', (d: number) => headerWith({ info: JSON.stringify(DEFAULT_INFO).replace(/}$/, `,"x":${nested(d - 1)}}`) })],
  ] as const) {
    it(`${member}: ${depth - 1} and ${depth} levels are read, ${depth + 1}, 1,000 and 100,000 are ARTIFACT_TOO_LARGE`, async () => {
      for (const ok of [depth - 1, depth]) assert.equal((await outcome(await build(ok))).code, 'ok', `${ok} levels`);
      for (const deep of [depth + 1, 1000, 100_000]) {
        const { code, message } = await outcome(await build(deep));
        assert.equal(code, 'ARTIFACT_TOO_LARGE', `${deep} levels`);
        assert.match(message, new RegExp(`${member.split(' ')[0]}: nested deeper than ${depth} levels`));
      }
    });
  }

  it('brackets inside strings do not count, escaped quotes do not end a string', async () => {
    const meta = JSON.stringify({ text: `\\"${'['.repeat(5000)}{{{"` });
    assert.equal((await outcome(await headerWith({ metaData: meta }))).code, 'ok');
    assert.doesNotThrow(() => checkJsonBounds(JSON.stringify({ a: '\\', b: '"[[[' }), { maxDepth: 1, maxString: 10 }, 'x'));
  });

  it('the parsed meta-data keeps its whole depth (nothing truncated)', async () => {
    const info = await readArtifact([await headerWith({ metaData: nested(depth) })], { mode: 'header' });
    let node: unknown = info.payloads[0]?.meta_data;
    let levels = 0;
    while (typeof node === 'object' && node !== null) {
      levels += 1;
      node = (node as Record<string, unknown>).a;
    }
    assert.equal(levels, depth);
  });
});

describe('issue 15: string length at the parser', () => {
  const name = LIMITS.jsonNameLength;
  const info = (artifactName: string): string => JSON.stringify({ ...DEFAULT_INFO, artifact_provides: { artifact_name: artifactName } });

  it(`an artifact name of ${name} characters is read, ${name + 1} and 500,000 are ARTIFACT_TOO_LARGE`, async () => {
    assert.equal((await outcome(await headerWith({ info: info('n'.repeat(name)) }))).code, 'ok');
    for (const length of [name + 1, 500_000]) {
      const { code, message } = await outcome(await headerWith({ info: info('n'.repeat(length)) }));
      assert.equal(code, 'ARTIFACT_TOO_LARGE');
      assert.match(message, new RegExp(`header-info: a string of ${length} characters, over the ${name}-character limit`));
    }
  });

  it('long keys count like values (provides in type-info)', async () => {
    const typeInfo = JSON.stringify({ type: '', artifact_provides: { ['k'.repeat(name + 1)]: 'v' } });
    const { code, message } = await outcome(await headerWith({ typeInfo }));
    assert.equal(code, 'ARTIFACT_TOO_LARGE');
    assert.match(message, /type-info: a string of/);
  });

  it(`meta-data strings may be ${LIMITS.jsonStringLength} characters, not one more`, async () => {
    const meta = (n: number): string => JSON.stringify({ description: 'd'.repeat(n) });
    assert.equal((await outcome(await headerWith({ metaData: meta(LIMITS.jsonStringLength) }))).code, 'ok');
    assert.equal((await outcome(await headerWith({ metaData: meta(LIMITS.jsonStringLength + 1) }))).code, 'ARTIFACT_TOO_LARGE');
  });
});

describe('issue 15: long member names and failing sources', () => {
  for (const length of [LIMITS.pathLength + 1, 100_000]) {
    it(`a harmless member name of ${length} characters is refused as too long, not as unsafe, and shortened in the message`, async () => {
      const members = readMembers(await forgeArtifact());
      const name = `data/${'x'.repeat(length - 5)}`;
      const { code, message } = await outcome(await buildTar([...members.slice(0, 1), { name, data: Buffer.from('x') }]));
      assert.equal(code, 'ARTIFACT_BAD_ENTRY');
      assert.match(message, new RegExp(`is ${length} characters long, more than ${LIMITS.pathLength}`));
      assert.doesNotMatch(message, /unsafe/);
      assert.ok(message.length < 400, `a message of ${message.length} characters`);
    });
  }

  it('an unsafe name is still called unsafe, and shortened too', async () => {
    const members = readMembers(await forgeArtifact());
    const { code, message } = await outcome(await buildTar([...members.slice(0, 1), { name: `../${'y'.repeat(900)}`, data: Buffer.from('x') }]));
    assert.equal(code, 'ARTIFACT_BAD_ENTRY');
    assert.match(message, /unsafe entry name ".*characters left out/);
  });

  for (const [what, failure] of [
    ['a read error (EIO)', Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })],
    ['a bug in the byte source (TypeError)', new TypeError('a bug in the byte source')],
  ] as const) {
    for (const after of [0, 700]) {
      it(`${what} after ${after} bytes is passed on as it is, not called ARTIFACT_NOT_TAR`, async () => {
        const buf = await forgeArtifact();
        const source = async function* (): AsyncIterable<Uint8Array> {
          if (after > 0) yield await Promise.resolve(buf.subarray(0, after));
          throw failure;
        };
        await assert.rejects(readArtifact(source(), { mode: 'header' }), (err) => err === failure);
      });
    }
  }
});

describe('issue 15: a tar stream may not run past what its members declare', () => {
  const zeros = function* (total: number, chunk = 64 * 1024): Iterable<Uint8Array> {
    const block = Buffer.alloc(chunk);
    for (let sent = 0; sent < total; sent += chunk) yield block;
  };

  it('2 GiB of zeros: ARTIFACT_NOT_TAR after reading about LIMITS.tarSlackBytes, in well under a second', async () => {
    let read = 0;
    const counted = function* (): Iterable<Uint8Array> {
      for (const chunk of zeros(2 * 1024 ** 3)) {
        read += chunk.length;
        yield chunk;
      }
    };
    const started = process.hrtime.bigint();
    const { code, message } = await outcome(counted());
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(code, 'ARTIFACT_NOT_TAR');
    assert.match(message, /no tar member in its first \d+ bytes/);
    assert.ok(read <= LIMITS.tarSlackBytes + 128 * 1024, `read ${read} bytes`);
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it('an endless stream of zeros ends too (the same rule: there is no end to wait for)', async () => {
    const endless = async function* (): AsyncIterable<Uint8Array> {
      const block = Buffer.alloc(512 * 1024);
      for (;;) yield await Promise.resolve(block);
    };
    assert.equal((await outcome(endless())).code, 'ARTIFACT_NOT_TAR');
  });

  it('an aborted copy (the first members, then zeros): refused in header mode, naming the cause', async () => {
    const members = readMembers(await forgeArtifact());
    const prefix = await buildTar(members.slice(0, 2)); // version and manifest, then the tar's end blocks
    const body = prefix.subarray(0, prefix.length - 1024);
    const { code, message } = await outcome(function* () {
      yield body;
      yield* zeros(2 * 1024 ** 3);
    }());
    assert.equal(code, 'ARTIFACT_NOT_TAR');
    assert.match(message, /past its members' end without another member/);
  });

  it('a valid artifact with a MiB of trailing padding is still read in full mode', async () => {
    const buf = Buffer.concat([await forgeArtifact(), Buffer.alloc(LIMITS.tarSlackBytes / 2)]);
    const info = await readArtifact([buf], { mode: 'full' });
    assert.equal(info.payloads_verified, true);
  });
});
