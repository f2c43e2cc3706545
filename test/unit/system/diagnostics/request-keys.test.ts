// The keys of diagnostics requests (issue 17): the kinds mender-artifact signs with are accepted
// (RSA >= 2048, EC P-256, Ed25519), others refused; and a request signed with the openssl command
// lines the docs give (config/README.md) verifies with the device's verifier, for each kind.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decideRequest, requestText } from '../../../../src/diagnostics/index.js';
import { readRequestFiles } from '../../../../src/system/diagnostics/request-files.js';
import { parseRequestKey, requestVerifier, signRequest } from '../../../../src/system/diagnostics/request-keys.js';
import { KEYS, keyPem, needsTool } from '../../../support/skip/fixtures.js';
import { withTempDir } from '../../../support/harness/temp.js';

const openssl = (args: string[], input?: string): string => execFileSync('openssl', args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });

describe('request keys', () => {
  it('accepts RSA (SPKI and PKCS#1), EC P-256 and Ed25519 public keys', () => {
    assert.equal(parseRequestKey(keyPem('rsa3072.pub'), 'a').key.asymmetricKeyType, 'rsa');
    assert.equal(parseRequestKey(keyPem('rsa3072.pkcs1.pub'), 'a').key.asymmetricKeyType, 'rsa');
    assert.equal(parseRequestKey(keyPem('ec-p256.pub'), 'a').key.asymmetricKeyType, 'ec');
  });

  it('refuses a weak RSA key, another curve, a private key and garbage (KEY_INVALID)', () => {
    for (const pem of [keyPem('rsa1024-weak.pub'), keyPem('ec-p384.pub'), keyPem('ec-p256.key'), 'not a key']) {
      assert.throws(() => parseRequestKey(pem, 'k.pem'), (err: Error & { code?: string }) => err.code === 'KEY_INVALID' && err.message.startsWith('k.pem: '));
    }
    assert.throws(() => signRequest(keyPem('rsa1024-weak.key'), 'w.key', Buffer.from('x')), /at least 2048/);
    assert.throws(() => signRequest(keyPem('ec-p384.key'), 'p.key', Buffer.from('x')), /only P-256/);
    assert.throws(() => signRequest(keyPem('ec-p256.pub'), 'p.pub', Buffer.from('x')), /not an unencrypted PEM private key/);
  });

  it('with several keys, the one that verifies is named (a key rolled out beside the old one)', () => {
    const keys = [parseRequestKey(keyPem('ec-p256-other.pub'), 'old.pub'), parseRequestKey(keyPem('ec-p256.pub'), 'new.pub')];
    const sig = Buffer.from(signRequest(keyPem('ec-p256.key'), 'k', Buffer.from('data')), 'base64');
    assert.equal(requestVerifier(keys)(Buffer.from('data'), sig), 'new.pub');
    assert.equal(requestVerifier(keys)(Buffer.from('datA'), sig), null);
  });
});

describe('a request signed with openssl, as documented', { skip: needsTool('openssl', 'openssl') }, () => {
  // The command lines of config/README.md ("Diagnostics on request"), KEY and FILE given as $1 and $2.
  const PRINTF = `printf '{"format":1,"device_type":"my-device","issued":"%s","expires":"%s","nonce":"%s"}\\n' "$(date -u +%FT%TZ)" "$(date -u -d +24hours +%FT%TZ)" "$(openssl rand -hex 16)" > "$2"`;
  const DGST = 'openssl dgst -sha256 -sign "$1" "$2" | openssl base64 -A > "$2.sig"';
  const PKEYUTL = 'openssl pkeyutl -sign -inkey "$1" -rawin -in "$2" | openssl base64 -A > "$2.sig"';
  const ROWS: [kind: string, makeKey: (dir: string) => string, command: string][] = [
    ['RSA', () => `${KEYS}rsa3072.key`, DGST],
    ['ECDSA P-256', () => `${KEYS}ec-p256.key`, DGST],
    [
      'Ed25519',
      (dir) => {
        openssl(['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'ed.key')]);
        return join(dir, 'ed.key');
      },
      PKEYUTL,
    ],
  ];
  for (const [kind, makeKey, command] of ROWS) {
    it(`${kind}: openssl's signature, base64-encoded, verifies on the device`, () =>
      withTempDir(async (stick) => {
        const key = makeKey(stick);
        const pub = openssl(['pkey', '-in', key, '-pubout']);
        const request = join(stick, 'usb-updater-diagnostics.json');
        execFileSync('sh', ['-c', `${PRINTF}\n${command}`, 'sh', key, request]);
        const decision = decideRequest({ enabled: true, ...(await readRequestFiles(stick)), verify: requestVerifier([parseRequestKey(pub, 'pub.pem')]), now: new Date(), maxValidityMs: 604_800_000, device: { deviceType: 'my-device', deviceId: null } });
        assert.equal(decision?.accepted, true, JSON.stringify(decision));
        // The same bytes the CLI writes for that request.
        if (decision?.accepted) assert.equal(readFileSync(request, 'utf8'), requestText(decision.request));
      }));
  }
});
