// The reader against artifacts written by the real mender-artifact (committed fixtures): the model
// it returns in header-only and full mode, signatures with every supported key form, and the same
// result whether the bytes arrive whole or one at a time.

import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { parsePublicKey, readArtifact, type ArtifactInfo, type ReadOptions } from '../../../src/artifact/index.js';
import type { UpdaterError } from '../../../src/errors/index.js';
import { artifact, FIXTURE_NAMES, keyPem } from '../../support/skip/fixtures.js';
import { forgeArtifact } from '../../support/artifacts/forge.js';
import { buildTar, listMembers, readMembers } from '../../support/artifacts/tar-tools.js';

const key = (name: string) => parsePublicKey(keyPem(name), name);
const read = (buf: Buffer, options: ReadOptions): Promise<ArtifactInfo> => readArtifact([buf], options);

function* bytewise(buf: Buffer): Generator<Uint8Array> {
  for (let i = 0; i < buf.length; i += 1) yield buf.subarray(i, i + 1);
}

describe('readArtifact on mender-artifact fixtures', () => {
  it('reads a signed gzip rootfs-image with groups, depends, provides and state scripts', async () => {
    const info = await read(artifact('rootfs-gzip-rsa.mender'), { mode: 'header' });
    assert.equal(info.format_version, 3);
    assert.equal(info.name, 'release-1.0');
    assert.equal(info.group, 'prod');
    assert.deepEqual(info.device_types, ['dev-a', 'dev-b']);
    assert.deepEqual(info.artifact_depends, {
      artifact_name: ['release-0.9', 'release-0.9.1'],
      device_type: ['dev-a', 'dev-b'],
      artifact_group: ['prod', 'beta'],
    });
    assert.equal(info.compression, 'gzip');
    assert.equal(info.signed, true);
    assert.equal(info.signature_verified, null);
    assert.deepEqual(info.state_scripts, ['ArtifactInstall_Enter_00', 'ArtifactCommit_Leave_50_notify']);
    assert.equal(info.payloads.length, 1);
    const [payload] = info.payloads;
    assert.equal(payload?.type, 'rootfs-image');
    assert.equal(payload?.artifact_provides['hw.rev'], '3');
    assert.equal(payload?.artifact_provides['rootfs-image.version'], '1.0.0');
    assert.deepEqual(payload?.artifact_depends, { 'bootloader.version': '2' });
    assert.equal(payload?.files.length, 1);
    assert.equal(payload?.files[0]?.name, 'rootfs.img');
    assert.equal(payload?.files[0]?.size, null, 'header-only mode does not know sizes');
    assert.equal(payload?.files[0]?.checksum, payload?.artifact_provides['rootfs-image.checksum']);
    assert.equal(info.payloads_verified, false);
  });

  it('full mode streams the payload and reports sizes', async () => {
    const info = await read(artifact('rootfs-gzip-rsa.mender'), { mode: 'full' });
    assert.equal(info.payloads[0]?.files[0]?.size, 16384);
    assert.equal(info.payloads_verified, true);
  });

  it('reads lzma (xz) and none compression, and software-name provides', async () => {
    const xz = await read(artifact('rootfs-lzma-ec.mender'), { mode: 'full' });
    assert.equal(xz.compression, 'lzma');
    assert.equal(xz.payloads[0]?.artifact_provides['rootfs-image.os.version'], '1.1.0');
    const none = await read(artifact('rootfs-none-unsigned.mender'), { mode: 'full' });
    assert.equal(none.compression, 'none');
    assert.equal(none.signed, false);
  });

  it('reads a module-image with several files, meta-data and clears_artifact_provides', async () => {
    const info = await read(artifact('module-gzip-rsa.mender'), { mode: 'full' });
    const [payload] = info.payloads;
    assert.equal(payload?.type, 'single-file');
    assert.deepEqual(payload?.files.map((f) => [f.name, f.size]), [['file-a.txt', 6], ['file-b.txt', 6]]);
    assert.deepEqual(payload?.meta_data, { region: 'eu', slot: { a: 1 } });
    assert.ok(payload?.clears_artifact_provides.includes('app.*'));
    assert.equal(payload?.artifact_provides['app.channel'], 'stable');
  });

  it('merges an augmented header like the client and flags every unsigned field', async () => {
    const info = await read(artifact('module-augmented-lzma-ec.mender'), { mode: 'full', keys: [key('ec-p256.pub')] });
    assert.equal(info.augmented, true);
    assert.equal(info.signature_verified, true);
    const [payload] = info.payloads;
    assert.equal(payload?.artifact_provides['app.extra'], 'yes');
    assert.equal(payload?.artifact_depends['app.base'], '2');
    assert.deepEqual(payload?.augmented, { type: false, artifact_provides: ['app.extra'], artifact_depends: ['app.base'], meta_data: true });
    assert.deepEqual(payload?.meta_data, { region: 'eu', slot: { a: 1, b: 2 }, extra: true });
    const aug = payload?.files.find((f) => f.name === 'file-aug.txt');
    assert.equal(aug?.augmented, true);
    assert.equal(aug?.size, 10);
    assert.equal(payload?.files.find((f) => f.name === 'file-a.txt')?.augmented, false);
  });

  it('reads format 2, compressed and not, signed and not', async () => {
    const v2 = await read(artifact('v2-rootfs-gzip.mender'), { mode: 'full' });
    assert.equal(v2.format_version, 2);
    assert.equal(v2.name, 'legacy-1.0');
    assert.equal(v2.group, null);
    assert.deepEqual(v2.device_types, ['dev-a']);
    assert.equal(v2.payloads[0]?.type, 'rootfs-image');
    const signed = await read(artifact('v2-rootfs-none-rsa.mender'), { mode: 'full', keys: [key('rsa3072.pub')] });
    assert.equal(signed.signature_verified, true);
    assert.deepEqual(signed.device_types, ['dev-a', 'dev-b']);
  });

  for (const name of FIXTURE_NAMES) {
    it(`gives the same result fed whole and one byte at a time: ${name}`, async () => {
      const buf = artifact(name);
      for (const mode of ['header', 'full'] as const) {
        const whole = await read(buf, { mode });
        const bytes = await readArtifact(bytewise(buf), { mode });
        assert.deepEqual(bytes, whole);
      }
    });
  }

  it('header-only mode stops reading soon after the header, even on an endless stream', async () => {
    const buf = artifact('rootfs-gzip-rsa.mender');
    const headerEnd = listMembers(buf).find((m) => m.name === 'header.tar.gz')?.end ?? 0;
    let consumed = 0;
    function* endless(): Generator<Uint8Array> {
      yield* bytewise(buf);
      for (;;) yield Buffer.alloc(512);
    }
    const info = await readArtifact(endless(), { mode: 'header', onProgress: (n) => { consumed = n; } });
    assert.equal(info.name, 'release-1.0');
    // tar-stream buffers up to 16 KiB ahead of the entry being read; nothing more is pulled.
    assert.ok(consumed <= headerEnd + 16 * 1024 + 512, `consumed ${consumed} bytes, header ends at ${headerEnd}`);
  });

  it('header-only mode returns even when the source then stalls forever', { timeout: 5000 }, async () => {
    const buf = artifact('rootfs-gzip-rsa.mender');
    const headerEnd = listMembers(buf).find((m) => m.name === 'header.tar.gz')?.end ?? 0;
    let closed = false;
    const stalling: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        let sent = false;
        return {
          next: (): Promise<IteratorResult<Uint8Array>> => {
            if (sent) return new Promise(() => undefined); // the stick stopped answering
            sent = true;
            return Promise.resolve({ done: false, value: buf.subarray(0, headerEnd) });
          },
          return: () => { closed = true; return Promise.resolve({ done: true, value: undefined }); },
        };
      },
    };
    const info = await readArtifact(stalling, { mode: 'header' });
    assert.equal(info.name, 'release-1.0');
    assert.ok(closed, 'the source was closed');
  });
});

describe('signatures', () => {
  const cases = [
    ['RSA 3072, SPKI PEM', 'rootfs-gzip-rsa.mender', 'rsa3072.pub'],
    ['RSA 3072, PKCS#1 PEM', 'rootfs-gzip-rsa.mender', 'rsa3072.pkcs1.pub'],
    ['EC P-256 raw r||s', 'rootfs-lzma-ec.mender', 'ec-p256.pub'],
  ] as const;
  for (const [label, file, pub] of cases) {
    it(`verifies ${label}`, async () => {
      const info = await read(artifact(file), { mode: 'header', keys: [key(pub)] });
      assert.equal(info.signature_verified, true);
    });
  }

  async function signedForgery(keyFile: string, dsaEncoding?: 'der' | 'ieee-p1363'): Promise<Buffer> {
    const members = readMembers(await forgeArtifact());
    const manifest = members.find((m) => m.name === 'manifest')?.data ?? Buffer.alloc(0);
    const signature = sign('sha256', manifest, { key: keyPem(keyFile), ...(dsaEncoding ? { dsaEncoding } : {}) });
    return buildTar([...members.slice(0, 2), { name: 'manifest.sig', data: Buffer.from(signature.toString('base64')) }, ...members.slice(2)]);
  }

  it('verifies EC P-256 signatures in DER form as well as raw r||s', async () => {
    for (const encoding of ['der', 'ieee-p1363'] as const) {
      const buf = await signedForgery('ec-p256.key', encoding);
      assert.equal((await read(buf, { mode: 'full', keys: [key('ec-p256.pub')] })).signature_verified, true, encoding);
      const other = await read(buf, { mode: 'full', keys: [key('ec-p256-other.pub')], signature: 'report' });
      assert.equal(other.signature_verified, false, encoding);
    }
  });

  it('verifies RSA signatures of other key sizes (2048 bits)', async () => {
    const buf = await signedForgery('rsa2048-other.key');
    assert.equal((await read(buf, { mode: 'header', keys: [key('rsa2048-other.pub')] })).signature_verified, true);
    await assert.rejects(read(buf, { mode: 'header', keys: [key('rsa3072.pub')] }), { code: 'ARTIFACT_SIGNATURE_INVALID' });
  });

  it('accepts a signature made by any one of several keys (rotation)', async () => {
    const keys = [key('rsa2048-other.pub'), key('ec-p256-other.pub'), key('rsa3072.pub')];
    const info = await read(artifact('rootfs-gzip-rsa.mender'), { mode: 'header', keys });
    assert.equal(info.signature_verified, true);
  });

  it('rejects the wrong key', async () => {
    await assert.rejects(read(artifact('rootfs-gzip-rsa.mender'), { mode: 'header', keys: [key('rsa2048-other.pub')] }),
      (err: UpdaterError) => err.code === 'ARTIFACT_SIGNATURE_INVALID' && /manifest\.sig/.test(err.message));
    await assert.rejects(read(artifact('rootfs-lzma-ec.mender'), { mode: 'header', keys: [key('ec-p256-other.pub'), key('rsa3072.pub')] }),
      { code: 'ARTIFACT_SIGNATURE_INVALID' });
  });

  it('rejects an unsigned artifact when a key is given', async () => {
    await assert.rejects(read(artifact('rootfs-none-unsigned.mender'), { mode: 'header', keys: [key('rsa3072.pub')] }),
      { code: 'ARTIFACT_SIGNATURE_MISSING' });
  });

  it('report mode returns the model with signature_verified false instead of throwing', async () => {
    const bad = await read(artifact('rootfs-gzip-rsa.mender'), { mode: 'header', keys: [key('ec-p256.pub')], signature: 'report' });
    assert.equal(bad.signature_verified, false);
    assert.equal(bad.name, 'release-1.0');
    const unsigned = await read(artifact('rootfs-none-unsigned.mender'), { mode: 'header', keys: [key('ec-p256.pub')], signature: 'report' });
    assert.equal(unsigned.signed, false);
    assert.equal(unsigned.signature_verified, false);
  });
});
