// The bad-input corpus: every malformed or hostile artifact is rejected with an UpdaterError whose
// code and message name the fault; nothing crashes, hangs (each test has a timeout) or grows memory
// without bound. Inputs are real mender-artifact fixtures cut, flipped or rearranged, and forged
// artifacts that plant one fault behind otherwise valid framing.

import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { compress as zstdCompress } from 'zstd-napi';
import { parsePublicKey, readArtifact, type ReadOptions } from '../../../src/artifact/index.js';
import { UpdaterError, type ErrorCode } from '../../../src/errors/index.js';
import { artifact, keyPem } from '../../support/skip/fixtures.js';
import { forgeArtifact, sha256 } from '../../support/artifacts/forge.js';
import { buildTar, listMembers, readMembers, type EntrySpec } from '../../support/artifacts/tar-tools.js';

const TIMEOUT = { timeout: 20_000 };

async function rejects(buf: Buffer, codes: ErrorCode | ErrorCode[], options: ReadOptions = { mode: 'full' }, message?: RegExp): Promise<UpdaterError> {
  const allowed = Array.isArray(codes) ? codes : [codes];
  try {
    await readArtifact([buf], options);
  } catch (err) {
    assert.ok(err instanceof UpdaterError, `not an UpdaterError: ${String(err)}`);
    assert.ok(allowed.includes(err.code), `code ${err.code} (${err.message}) is not one of ${allowed.join(', ')}`);
    assert.ok(err.message.length > 10);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`accepted; expected ${allowed.join(' or ')}`);
}

/** Rebuilds an artifact from its members after `edit` rearranges them. */
async function rearranged(name: string, edit: (m: EntrySpec[]) => EntrySpec[]): Promise<Buffer> {
  return buildTar(edit(readMembers(artifact(name))));
}

const flip = (buf: Buffer, at: number, mask: number): void => {
  buf.writeUInt8((buf.readUInt8(at) ^ mask) & 0xff, at);
};

const SAMPLES = ['rootfs-gzip-rsa.mender', 'module-augmented-lzma-ec.mender', 'v2-rootfs-none-rsa.mender'] as const;

describe('truncation', () => {
  for (const name of SAMPLES) {
    it(`every cut of ${name}, at and inside every member, is rejected in full mode`, TIMEOUT, async () => {
      const buf = artifact(name);
      const members = listMembers(buf);
      const last = members.at(-1);
      assert.ok(last);
      const cuts = new Set<number>();
      for (const m of members) {
        for (const at of [m.header, m.header + 100, m.data, m.data + Math.floor(m.size / 2), m.data + m.size - 1]) cuts.add(at);
      }
      for (const at of [...cuts].sort((a, b) => a - b)) {
        if (at >= last.end) continue;
        const expected: ErrorCode[] = at === 0 ? ['ARTIFACT_EMPTY'] : at < (members[0]?.data ?? 0) ? ['ARTIFACT_NOT_TAR'] : ['ARTIFACT_TRUNCATED'];
        await rejects(buf.subarray(0, at), expected).catch((err: Error) => assert.fail(`cut at ${at}: ${err.message}`));
      }
    });
  }

  it('header-only mode rejects every cut before the end of the header', TIMEOUT, async () => {
    const buf = artifact('rootfs-gzip-rsa.mender');
    const header = listMembers(buf).find((m) => m.name === 'header.tar.gz');
    assert.ok(header);
    for (let at = 1; at < header.data + header.size; at += 97) {
      await rejects(buf.subarray(0, at), ['ARTIFACT_TRUNCATED', 'ARTIFACT_NOT_TAR'], { mode: 'header' });
    }
  });
});

describe('one flipped byte', () => {
  const rsa = parsePublicKey(keyPem('rsa3072.pub'), 'rsa3072.pub');
  const expectations: Record<string, ErrorCode[]> = {
    version: ['ARTIFACT_BAD_VERSION', 'ARTIFACT_CHECKSUM_MISMATCH'],
    manifest: ['ARTIFACT_SIGNATURE_INVALID', 'ARTIFACT_BAD_MANIFEST'],
    'manifest.sig': ['ARTIFACT_SIGNATURE_INVALID'],
    'header.tar.gz': ['ARTIFACT_CHECKSUM_MISMATCH'],
    'data/0000.tar.gz': ['ARTIFACT_CHECKSUM_MISMATCH', 'ARTIFACT_COMPRESSION', 'ARTIFACT_NOT_TAR', 'ARTIFACT_BAD_ENTRY'],
  };
  for (const [member, codes] of Object.entries(expectations)) {
    it(`in the data of ${member} is caught`, TIMEOUT, async () => {
      const buf = Buffer.from(artifact('rootfs-gzip-rsa.mender'));
      const span = listMembers(buf).find((m) => m.name === member);
      assert.ok(span);
      flip(buf, span.data + Math.floor(span.size / 2), 0x01);
      await rejects(buf, codes, { mode: 'full', keys: [rsa] });
    });
    it(`in the tar header block of ${member} is caught`, TIMEOUT, async () => {
      const buf = Buffer.from(artifact('rootfs-gzip-rsa.mender'));
      const span = listMembers(buf).find((m) => m.name === member);
      assert.ok(span);
      flip(buf, span.header + 2, 0x20); // a letter of the name; the tar header checksum no longer matches
      await rejects(buf, ['ARTIFACT_NOT_TAR']);
    });
  }

  it('a checksum digit changed in an unsigned manifest is caught by the member it names', TIMEOUT, async () => {
    const buf = Buffer.from(artifact('rootfs-gzip-unsigned.mender'));
    const manifest = listMembers(buf).find((m) => m.name === 'manifest');
    assert.ok(manifest);
    const text = buf.subarray(manifest.data, manifest.data + manifest.size).toString();
    for (const target of ['data/0000/rootfs.img', 'header.tar.gz', 'version']) {
      const copy = Buffer.from(buf);
      const at = manifest.data + text.indexOf(`  ${target}`) - 1;
      copy[at] = copy[at] === 0x30 ? 0x31 : 0x30;
      await rejects(copy, 'ARTIFACT_CHECKSUM_MISMATCH', { mode: 'full' }, new RegExp(target.replace('.', '\\.').split('/')[0] ?? ''));
    }
  });
});

describe('member order', () => {
  const name = 'rootfs-gzip-rsa.mender';
  const cases: Array<[string, (m: EntrySpec[]) => EntrySpec[], ErrorCode]> = [
    ['a duplicated version', (m) => [m[0] as EntrySpec, ...m], 'ARTIFACT_DUPLICATE_MEMBER'],
    ['a duplicated header', (m) => [...m.slice(0, 4), m[3] as EntrySpec, ...m.slice(4)], 'ARTIFACT_DUPLICATE_MEMBER'],
    ['a duplicated data member', (m) => [...m, m[4] as EntrySpec], 'ARTIFACT_DUPLICATE_MEMBER'],
    ['manifest before version', (m) => [m[1] as EntrySpec, m[0] as EntrySpec, ...m.slice(2)], 'ARTIFACT_BAD_ORDER'],
    ['header before manifest.sig', (m) => [m[0] as EntrySpec, m[1] as EntrySpec, m[3] as EntrySpec, m[2] as EntrySpec, m[4] as EntrySpec], 'ARTIFACT_BAD_ORDER'],
    ['data before header', (m) => [...m.slice(0, 3), m[4] as EntrySpec, m[3] as EntrySpec], 'ARTIFACT_MISSING_MEMBER'],
    ['no manifest', (m) => m.filter((e) => e.name !== 'manifest'), 'ARTIFACT_MISSING_MEMBER'],
    ['no header', (m) => m.filter((e) => e.name !== 'header.tar.gz'), 'ARTIFACT_MISSING_MEMBER'],
    ['no data', (m) => m.filter((e) => !e.name.startsWith('data/')), 'ARTIFACT_TRUNCATED'],
    ['an unknown member', (m) => [...m.slice(0, 2), { name: 'evil', data: Buffer.from('x') }, ...m.slice(2)], 'ARTIFACT_UNKNOWN_MEMBER'],
    ['an unknown compression', (m) => m.map((e) => (e.name === 'header.tar.gz' ? { ...e, name: 'header.tar.bz2' } : e)), 'ARTIFACT_UNKNOWN_MEMBER'],
    ['data/0001 without data/0000', (m) => m.map((e) => (e.name.startsWith('data/') ? { ...e, name: 'data/0001.tar.gz' } : e)), 'ARTIFACT_BAD_ORDER'],
  ];
  for (const [label, edit, code] of cases) {
    it(`rejects ${label}`, TIMEOUT, async () => {
      await rejects(await rearranged(name, edit), code);
    });
  }

  it('rejects augment members in a format 2 artifact', TIMEOUT, async () => {
    const buf = await rearranged('v2-rootfs-gzip.mender', (m) => [...m.slice(0, 2), { name: 'manifest-augment', data: Buffer.from('') }, ...m.slice(2)]);
    await rejects(buf, 'ARTIFACT_UNKNOWN_MEMBER', { mode: 'full' }, /format 2/);
  });

  it('rejects a version of another format', TIMEOUT, async () => {
    for (const version of ['{"format":"mender","version":1}', '{"format":"other","version":3}', 'not json']) {
      const buf = await forgeArtifact({ members: (m) => m.map((e) => (e.name === 'version' ? { ...e, data: Buffer.from(version) } : e)) });
      await rejects(buf, 'ARTIFACT_BAD_VERSION');
    }
  });
});

describe('hostile entries', () => {
  const entryCases: Array<[string, EntrySpec]> = [
    ['a path-traversal name', { name: '../version', data: Buffer.from('{}') }],
    ['an absolute name', { name: '/etc/passwd', data: Buffer.from('x') }],
    ['a symlink', { name: 'version', type: 'symlink', linkname: '/etc/shadow' }],
    ['a hard link', { name: 'version', type: 'link', linkname: 'manifest' }],
    ['a directory', { name: 'data', type: 'directory' }],
    ['a FIFO', { name: 'version', type: 'fifo' }],
    ['a device', { name: 'version', type: 'character-device' }],
  ];
  for (const [label, entry] of entryCases) {
    it(`rejects ${label} as an outer member`, TIMEOUT, async () => {
      await rejects(await buildTar([entry]), 'ARTIFACT_BAD_ENTRY');
    });
  }

  it('rejects traversal and symlinks inside the header tar', TIMEOUT, async () => {
    const info = Buffer.from(JSON.stringify({ payloads: [{ type: 'rootfs-image' }], artifact_provides: { artifact_name: 'x' }, artifact_depends: { device_type: ['d'] } }));
    for (const bad of [
      { name: '../../etc/cron.d/x', data: Buffer.from('x') },
      { name: 'headers/0000/type-info', type: 'symlink' as const, linkname: '/etc/passwd' },
      { name: 'scripts/../../x', data: Buffer.from('x') },
    ]) {
      const buf = await forgeArtifact({ headerEntries: [{ name: 'header-info', data: info }, bad] });
      await rejects(buf, 'ARTIFACT_BAD_ENTRY', { mode: 'header' });
    }
  });

  it('rejects traversal, folders and symlinks inside the payload tar', TIMEOUT, async () => {
    for (const bad of [
      { name: '../rootfs.img', data: Buffer.from('x') },
      { name: 'sub/rootfs.img', data: Buffer.from('x') },
      { name: 'rootfs.img', type: 'symlink' as const, linkname: '/dev/mmcblk0' },
    ]) {
      await rejects(await forgeArtifact({ dataEntries: [bad] }), 'ARTIFACT_BAD_ENTRY');
    }
  });

  it('rejects payload files missing from or extra to the manifest', TIMEOUT, async () => {
    const extra = await forgeArtifact({ dataEntries: [{ name: 'rootfs.img', data: Buffer.from('forged rootfs '.repeat(300)) }, { name: 'extra.bin', data: Buffer.from('x') }] });
    await rejects(extra, 'ARTIFACT_PAYLOAD_MISMATCH', { mode: 'full' }, /extra\.bin: not listed/);
    const missing = await forgeArtifact({ dataEntries: [] });
    await rejects(missing, 'ARTIFACT_PAYLOAD_MISMATCH', { mode: 'full' }, /missing file/);
  });

  it('rejects manifest paths that are not one safe file name', TIMEOUT, async () => {
    for (const path of ['data/0000/a\u001b[2Jb', 'data/0000/..', 'data/0000/sub/x', 'data/000/x', `data/0000/${'n'.repeat(300)}`]) {
      await rejects(await forgeArtifact({ manifestExtra: [`${'0'.repeat(64)}  ${path}`] }), 'ARTIFACT_BAD_MANIFEST', { mode: 'header' }, /unexpected path/);
    }
  });

  it('rejects unknown header entries and malformed header JSON', TIMEOUT, async () => {
    await rejects(await forgeArtifact({ headerEntries: [{ name: 'header-info', data: Buffer.from('{') }] }), 'ARTIFACT_BAD_HEADER', { mode: 'header' }, /header-info: not valid JSON/);
    await rejects(await forgeArtifact({ headerInfo: { payloads: [{ type: 'rootfs-image' }], artifact_provides: { artifact_name: 'x' }, artifact_depends: { device_type: 'dev-a' } } }),
      'ARTIFACT_BAD_HEADER', { mode: 'header' }, /device_type/);
    await rejects(await forgeArtifact({ typeInfo: { type: 'other-type' } }), 'ARTIFACT_BAD_HEADER', { mode: 'header' }, /type-info says type "other-type"/);
    const info = Buffer.from(JSON.stringify({ payloads: [], artifact_provides: { artifact_name: 'x' }, artifact_depends: { device_type: ['d'] } }));
    await rejects(await forgeArtifact({ headerEntries: [{ name: 'header-info', data: info }, { name: 'headers/0000/evil', data: Buffer.from('x') }] }), 'ARTIFACT_UNKNOWN_MEMBER', { mode: 'header' });
    await rejects(await forgeArtifact({ headerEntries: [{ name: 'headers/0000/type-info', data: Buffer.from('{}') }] }), 'ARTIFACT_BAD_ORDER', { mode: 'header' });
    await rejects(await forgeArtifact({ headerEntries: [] }), 'ARTIFACT_MISSING_MEMBER', { mode: 'header' });
  });

  it('rejects an augment header that retargets the artifact to other devices', TIMEOUT, async () => {
    const buf = artifact('module-augmented-lzma-ec.mender');
    const members = listMembers(buf).map((m) => m.name);
    assert.ok(members.includes('header-augment.tar.xz'));
    // Forge: a gzip artifact whose augment header-info names another device type.
    const info = (device: string): Buffer => Buffer.from(JSON.stringify({ payloads: [{ type: 'single-file' }], artifact_provides: { artifact_name: 'x' }, artifact_depends: { device_type: [device] } }));
    const augHeader = gzipSync(await buildTar([{ name: 'header-info', data: info('other-device') }, { name: 'headers/0000/type-info', data: Buffer.from('{"type":"single-file"}') }]));
    const forged = await forgeArtifact({
      headerInfo: JSON.parse(info('dev-a').toString()) as unknown,
      typeInfo: { type: 'single-file' },
      members: (m) => [
        ...m.slice(0, 2),
        { name: 'manifest-augment', data: Buffer.from(`${sha256(augHeader)}  header-augment.tar.gz\n`) },
        m[2] as EntrySpec,
        { name: 'header-augment.tar.gz', data: augHeader },
        m[3] as EntrySpec,
      ],
    });
    await rejects(forged, 'ARTIFACT_BAD_HEADER', { mode: 'header' }, /may not change artifact name, group, device types/);
  });
});

describe('sizes and bombs', () => {
  it('rejects oversized metadata members from their declared size, before reading them', TIMEOUT, async () => {
    await rejects(await forgeArtifact({ members: (m) => m.map((e) => (e.name === 'version' ? { ...e, data: Buffer.alloc(4096, 0x20) } : e)) }), 'ARTIFACT_TOO_LARGE', { mode: 'header' }, /version/);
    const big = Array.from({ length: 20_000 }, (_, i) => `${'0'.repeat(64)}  data/0000/f${i}`);
    await rejects(await forgeArtifact({ manifestExtra: big }), 'ARTIFACT_TOO_LARGE', { mode: 'header' }, /manifest/);
    const many = Array.from({ length: 100 }, () => ({ type: 'rootfs-image' }));
    await rejects(await forgeArtifact({ headerInfo: { payloads: many, artifact_provides: { artifact_name: 'x' }, artifact_depends: { device_type: ['d'] } } }), 'ARTIFACT_TOO_LARGE', { mode: 'header' });
  });

  it('rejects a member whose tar header claims an absurd size, without reading it', TIMEOUT, async () => {
    const buf = Buffer.from(await forgeArtifact());
    const manifest = listMembers(buf).find((m) => m.name === 'manifest');
    assert.ok(manifest);
    // Size field 0o77777777777 (8 GiB - 1), with the tar header checksum fixed up.
    const block = buf.subarray(manifest.header, manifest.header + 512);
    block.write('77777777777\0', 124, 'latin1');
    block.fill(0x20, 148, 156);
    const sum = block.reduce((a, b) => a + b, 0);
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await rejects(buf, 'ARTIFACT_TOO_LARGE', { mode: 'header' }, /manifest: 8589934591 bytes/);
  });

  for (const method of ['gzip', 'zstd'] as const) {
    it(`stops a ${method} header that expands without bound, in bounded memory`, TIMEOUT, async () => {
      const zeros = Buffer.alloc(64 * 1024 * 1024);
      const bomb = method === 'gzip' ? gzipSync(zeros, { level: 9 }) : zstdCompress(zeros);
      const forged = await forgeArtifact({ headerStored: bomb, headerName: `header.tar${method === 'gzip' ? '.gz' : '.zst'}` });
      global.gc?.();
      const before = process.memoryUsage().rss;
      await rejects(forged, 'ARTIFACT_TOO_LARGE', { mode: 'header' }, /expands beyond/);
      const grown = process.memoryUsage().rss - before;
      assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes`);
    });
  }
});

describe('the source fails', () => {
  // A stick pulled mid-read: the reader must report the read error itself, not a damaged artifact.
  for (const [label, at] of [['in the header', 2000], ['in the payload', 20_000]] as const) {
    it(`passes a read error ${label} through as IO_ERROR`, TIMEOUT, async () => {
      const buf = artifact('rootfs-gzip-rsa.mender');
      function* failing(): Generator<Uint8Array> {
        yield buf.subarray(0, at);
        throw new UpdaterError('IO_ERROR', '/media/usb/update.mender: EIO: i/o error, read');
      }
      await assert.rejects(readArtifact(failing(), { mode: 'full' }), (err: UpdaterError) => err.code === 'IO_ERROR' && /EIO/.test(err.message));
    });
  }
});

describe('not artifacts at all', () => {
  it('rejects an empty file', async () => {
    await rejects(Buffer.alloc(0), 'ARTIFACT_EMPTY');
  });
  it('rejects text, random bytes, a gzip file and an empty tar', TIMEOUT, async () => {
    await rejects(Buffer.from('hello, this is not an artifact\n'), 'ARTIFACT_NOT_TAR');
    const random = Buffer.alloc(10_240);
    for (let i = 0; i < random.length; i += 1) random[i] = (i * 7919 + 13) % 251;
    await rejects(random, 'ARTIFACT_NOT_TAR');
    await rejects(gzipSync(artifact('rootfs-gzip-rsa.mender')), 'ARTIFACT_NOT_TAR');
    await rejects(Buffer.alloc(1024), 'ARTIFACT_NOT_TAR', { mode: 'full' }, /no members/);
  });
  it('rejects a tar of unrelated files', TIMEOUT, async () => {
    await rejects(await buildTar([{ name: 'README', data: Buffer.from('hi') }]), 'ARTIFACT_UNKNOWN_MEMBER');
  });
});

describe('signature malformations', () => {
  const rsa = parsePublicKey(keyPem('rsa3072.pub'), 'rsa3072.pub');
  for (const [label, sig] of [['not base64', '!!!!'], ['empty', ''], ['base64 of garbage', Buffer.from('garbage').toString('base64')]] as const) {
    it(`rejects a manifest.sig that is ${label}`, TIMEOUT, async () => {
      const buf = await rearranged('rootfs-gzip-rsa.mender', (m) => m.map((e) => (e.name === 'manifest.sig' ? { ...e, data: Buffer.from(sig) } : e)));
      await rejects(buf, 'ARTIFACT_SIGNATURE_INVALID', { mode: 'header', keys: [rsa] });
    });
  }
});
