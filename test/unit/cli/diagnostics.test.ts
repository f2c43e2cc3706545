// `usb-updater diagnostics request` (issue 17): the pair it writes is accepted by the device's own
// decision for the device it names, with each key kind; its usage errors exit 2 with the reason,
// a folder it cannot write exits 3.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decideRequest } from '../../../src/diagnostics/index.js';
import { readRequestFiles } from '../../../src/system/diagnostics/request-files.js';
import { parseRequestKey, requestVerifier } from '../../../src/system/diagnostics/request-keys.js';
import { runCli } from '../../support/harness/run-cli.js';
import { withTempDir } from '../../support/harness/temp.js';
import { KEYS, keyPem } from '../../support/skip/fixtures.js';

async function judged(out: string, pub: string, device: { deviceType: string | null; deviceId: string | null }, now = new Date()): Promise<ReturnType<typeof decideRequest>> {
  return decideRequest({ enabled: true, ...(await readRequestFiles(out)), verify: requestVerifier([parseRequestKey(pub, 'pub')]), now, maxValidityMs: 168 * 3_600_000, device });
}

describe('usb-updater diagnostics request', () => {
  for (const [kind, key, pub] of [['RSA', 'rsa3072.key', 'rsa3072.pub'], ['ECDSA P-256', 'ec-p256.key', 'ec-p256.pub']] as const) {
    it(`${kind}: the request it writes is accepted by a device of that type, and by no other`, () =>
      withTempDir(async (out) => {
        const { code, stdout, stderr } = await runCli(['diagnostics', 'request', '--key', `${KEYS}${key}`, '--device-type', 'board-a', '--out', out]);
        assert.equal(code, 0, stderr);
        assert.match(stdout, /a diagnostics request for devices of type board-a, valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.\nCopy both files to the top folder of the stick\.\n$/);
        assert.equal((await judged(out, keyPem(pub), { deviceType: 'board-a', deviceId: null }))?.accepted, true);
        assert.equal((await judged(out, keyPem(pub), { deviceType: 'board-b', deviceId: null }) as { code: string }).code, 'DIAGNOSTICS_REQUEST_FOREIGN');
      }));
  }

  it('Ed25519, for one device id, --expires as an ISO time, --json: accepted by that device until then', () =>
    withTempDir(async (out) => {
      const ed = generateKeyPairSync('ed25519');
      writeFileSync(join(out, 'ed.key'), ed.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const id = '0123456789abcdef0123456789abcdef';
      const expires = new Date(Date.now() + 3_600_000).toISOString();
      const { code, stdout, stderr } = await runCli(['diagnostics', 'request', '-k', join(out, 'ed.key'), '--device-id', id, '--expires', expires, '-o', out, '--json']);
      assert.equal(code, 0, stderr);
      const printed = JSON.parse(stdout) as { request: { device_id: string; expires: string; nonce: string }; files: string[] };
      assert.equal(printed.request.device_id, id);
      assert.equal(printed.request.expires, `${expires.slice(0, 19)}Z`);
      assert.match(printed.request.nonce, /^[0-9a-f]{32}$/);
      assert.deepEqual(printed.files, [join(out, 'usb-updater-diagnostics.json'), join(out, 'usb-updater-diagnostics.json.sig')]);
      assert.deepEqual(JSON.parse(readFileSync(printed.files[0] ?? '', 'utf8')), printed.request);
      const pub = ed.publicKey.export({ format: 'pem', type: 'spki' }).toString();
      assert.equal((await judged(out, pub, { deviceType: 'x', deviceId: id }))?.accepted, true);
      assert.equal((await judged(out, pub, { deviceType: 'x', deviceId: id }, new Date(Date.now() + 7_200_000)) as { code: string }).code, 'DIAGNOSTICS_REQUEST_EXPIRED');
    }));

  const USAGE: [string, string[], RegExp][] = [
    ['neither target', ['--key', `${KEYS}ec-p256.key`], /exactly one of --device-type and --device-id/],
    ['both targets', ['--key', `${KEYS}ec-p256.key`, '--device-type', 'a', '--device-id', '0123456789abcdef0123456789abcdef'], /exactly one/],
    ['a device id that is no id', ['--key', `${KEYS}ec-p256.key`, '--device-id', 'pump-07'], /would be refused by every device: device_id/],
    ['an expiry that is no time', ['--key', `${KEYS}ec-p256.key`, '--device-type', 'a', '--expires', 'tomorrow'], /--expires "tomorrow": write a duration/],
    ['an expiry in the past', ['--key', `${KEYS}ec-p256.key`, '--device-type', 'a', '--expires', '2020-01-01T00:00:00Z'], /expired already/],
    ['a public key given as the private one', ['--key', `${KEYS}ec-p256.pub`, '--device-type', 'a'], /KEY_INVALID/],
    ['a weak RSA key', ['--key', `${KEYS}rsa1024-weak.key`, '--device-type', 'a'], /at least 2048/],
    ['a key file that is not there', ['--key', `${KEYS}missing.key`, '--device-type', 'a'], /KEY_INVALID.*no such file/],
    ['no --key', ['--device-type', 'a'], /required option/],
  ];
  for (const [name, args, message] of USAGE) {
    it(`${name}: exit 2, the reason said, nothing written`, () =>
      withTempDir(async (out) => {
        const { code, stderr } = await runCli(['diagnostics', 'request', ...args, '--out', out]);
        assert.equal(code, 2, stderr);
        assert.match(stderr, message);
        assert.deepEqual(await readRequestFiles(out), { request: { status: 'missing' }, signature: { status: 'missing' } });
      }));
  }

  it('a folder that cannot be written: exit 3', () =>
    withTempDir(async (dir) => {
      writeFileSync(join(dir, 'file'), '');
      const { code, stderr } = await runCli(['diagnostics', 'request', '--key', `${KEYS}ec-p256.key`, '--device-type', 'a', '--out', join(dir, 'file', 'sub')]);
      assert.equal(code, 3, stderr);
      assert.match(stderr, /IO_ERROR/);
    }));

  it('--help lists its options and exit codes', async () => {
    const { code, stdout } = await runCli(['diagnostics', 'request', '--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--device-type <type>/);
    assert.match(stdout, /Exit codes: 0 written, 2 usage error/);
  });
});
