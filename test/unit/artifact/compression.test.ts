// zstd artifacts (assembled here: mender-artifact 3.9 cannot write them) and full-mode memory: the
// same artifact re-encoded with each method reads to the same model, and a payload that expands
// enormously streams through in bounded memory whatever the method.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { parsePublicKey, readArtifact, type ArtifactInfo } from '../../../src/artifact/index.js';
import { REPO, artifact, keyPem, needsTool } from '../../support/skip/fixtures.js';
import { forgeArtifact } from '../../support/artifacts/forge.js';
import { recompressArtifact, type TargetCompression } from '../../support/artifacts/recompress.js';
import { listMembers } from '../../support/artifacts/tar-tools.js';

const key = (name: string) => parsePublicKey(keyPem(name), name);
// Re-compressed members have other checksums, so the manifest (and its SHA-256) differs too.
const withoutCompression = (info: ArtifactInfo): ArtifactInfo => ({ ...info, compression: 'none', manifest_sha256: '' });

const SOURCES = [
  ['rootfs-gzip-rsa.mender', 'rsa3072'],
  ['module-gzip-rsa.mender', 'rsa3072'],
  ['module-augmented-lzma-ec.mender', 'ec-p256'],
] as const;

describe('zstd artifacts', () => {
  for (const [name, signer] of SOURCES) {
    it(`${name} re-encoded with zstd and re-signed reads to the same model`, async () => {
      const original = await readArtifact([artifact(name)], { mode: 'full', keys: [key(`${signer}.pub`)] });
      const zst = await recompressArtifact(artifact(name), { to: 'zstd', signingKeyPem: keyPem(`${signer}.key`) });
      assert.ok(listMembers(zst).some((m) => m.name === 'header.tar.zst'));
      const info = await readArtifact([zst], { mode: 'full', keys: [key(`${signer}.pub`)] });
      assert.equal(info.compression, 'zstd');
      assert.deepEqual(withoutCompression(info), withoutCompression(original));
      const bytewise = await readArtifact((function* () {
        for (let i = 0; i < zst.length; i += 1) yield zst.subarray(i, i + 1);
      })(), { mode: 'full' });
      assert.deepEqual(bytewise.payloads, info.payloads);
    });
  }

  it('a zstd artifact cut inside its payload or flipped in it is rejected', async () => {
    const zst = await recompressArtifact(artifact('rootfs-gzip-rsa.mender'), { to: 'zstd' });
    const data = listMembers(zst).find((m) => m.name === 'data/0000.tar.zst');
    assert.ok(data);
    await assert.rejects(readArtifact([zst.subarray(0, data.data + Math.floor(data.size / 2))], { mode: 'full' }), { code: 'ARTIFACT_TRUNCATED' });
    const flipped = Buffer.from(zst);
    flipped.writeUInt8(flipped.readUInt8(data.data + 20) ^ 0x55, data.data + 20);
    await assert.rejects(readArtifact([flipped], { mode: 'full' }), (err: { code: string }) =>
      ['ARTIFACT_COMPRESSION', 'ARTIFACT_CHECKSUM_MISMATCH', 'ARTIFACT_NOT_TAR', 'ARTIFACT_TRUNCATED'].includes(err.code));
  });
});

describe('full mode memory', { skip: needsTool('xz', 'xz-utils') }, () => {
  // Streaming means memory does not follow the payload: a reader that buffered the payload, or let
  // a decompressor run ahead of its consumer, would peak above the payload's size.
  const PAYLOAD = 256 * 1024 * 1024;
  let dir = '';
  before(() => { dir = mkdtempSync(`${tmpdir()}/usb-updater-memory-`); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const method of ['gzip', 'lzma', 'zstd', 'none'] as TargetCompression[]) {
    it(`streams a ${PAYLOAD >> 20} MiB payload of zeros (${method}) in a fraction of its size`, { timeout: 120_000 }, async () => {
      const gz = await forgeArtifact({ dataFiles: [{ name: 'rootfs.img', data: Buffer.alloc(PAYLOAD) }] });
      const file = `${dir}/${method}.mender`;
      writeFileSync(file, method === 'gzip' ? gz : await recompressArtifact(gz, { to: method }));
      const child = spawnSync(process.execPath, [`${REPO}dist/test/support/harness/peak-rss.js`, file], { encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      const { maxRssKiB, files } = JSON.parse(child.stdout) as { maxRssKiB: number; files: Array<{ size: number }> };
      assert.equal(files[0]?.size, PAYLOAD);
      const peakMiB = maxRssKiB / 1024;
      assert.ok(peakMiB < 160, `peak RSS ${peakMiB.toFixed(0)} MiB while streaming a ${PAYLOAD >> 20} MiB payload`);
      rmSync(file);
    });
  }
});
