// The decision on a diagnostics request (issue 17), with real signatures: each key kind signs
// (RSA, ECDSA P-256 as DER and as Mender's raw r||s, Ed25519), and every refusal has its row:
// off, unsigned, badly signed, tampered, expired, not yet valid, too long valid, foreign, malformed.

import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { decideRequest, requestProblem, requestText, type DiagnosticsRequest, type RequestFileRead, type RequestInput } from '../../../src/diagnostics/index.js';
import { parseRequestKey, requestVerifier, signRequest } from '../../../src/system/diagnostics/request-keys.js';
import { keyPem } from '../../support/skip/fixtures.js';

const ed = generateKeyPairSync('ed25519');
const KEYS = {
  rsa: { priv: keyPem('rsa3072.key'), pub: keyPem('rsa3072.pub') },
  ec: { priv: keyPem('ec-p256.key'), pub: keyPem('ec-p256.pub') },
  ed25519: { priv: ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), pub: ed.publicKey.export({ format: 'pem', type: 'spki' }).toString() },
};
const NOW = new Date('2026-12-06T10:00:00Z');
const ID = '0123456789abcdef0123456789abcdef';
const REQUEST: DiagnosticsRequest = { format: 1, device_type: 'board-a', issued: '2026-12-06T09:00:00Z', expires: '2026-12-07T09:00:00Z', nonce: '00112233445566778899aabbccddeeff' };

const ok = (bytes: Uint8Array | string): RequestFileRead => ({ status: 'ok', bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes });
const signed = (text: string, kind: keyof typeof KEYS = 'ec'): { request: RequestFileRead; signature: RequestFileRead } => ({
  request: ok(text),
  signature: ok(signRequest(KEYS[kind].priv, kind, Buffer.from(text))),
});

function input(files: { request: RequestFileRead; signature: RequestFileRead }, over: Partial<RequestInput> = {}): RequestInput {
  return {
    enabled: true,
    ...files,
    verify: requestVerifier([parseRequestKey(KEYS.rsa.pub, 'rsa.pub'), parseRequestKey(KEYS.ec.pub, 'ec.pub'), parseRequestKey(KEYS.ed25519.pub, 'ed.pub')]),
    now: NOW,
    maxValidityMs: 168 * 3_600_000,
    device: { deviceType: 'board-a', deviceId: ID },
    ...over,
  };
}

const refusal = (decision: ReturnType<typeof decideRequest>): [string, string] => {
  assert.ok(decision !== null && !decision.accepted, JSON.stringify(decision));
  return [decision.code, decision.message];
};

describe('diagnostics request: accepted', () => {
  for (const [kind, source] of [['rsa', 'rsa.pub'], ['ec', 'ec.pub'], ['ed25519', 'ed.pub']] as const) {
    it(`signed with ${kind}: accepted, naming the key that verified it`, () => {
      const decision = decideRequest(input(signed(requestText(REQUEST), kind)));
      assert.deepEqual(decision, { accepted: true, request: REQUEST, key: source });
    });
  }

  it("ECDSA as Mender writes it (raw r||s, 64 bytes) verifies too", () => {
    const text = requestText(REQUEST);
    const raw = sign('sha256', Buffer.from(text), { key: KEYS.ec.priv, dsaEncoding: 'ieee-p1363' });
    assert.equal(raw.length, 64);
    const decision = decideRequest(input({ request: ok(text), signature: ok(`${raw.toString('base64')}\n`) }));
    assert.equal(decision?.accepted, true);
  });

  it('a request for this device id is accepted on it, whatever its type', () => {
    const request: DiagnosticsRequest = { format: 1, device_id: ID, issued: REQUEST.issued, expires: REQUEST.expires, nonce: REQUEST.nonce };
    const decision = decideRequest(input(signed(requestText(request)), { device: { deviceType: null, deviceId: ID } }));
    assert.equal(decision?.accepted, true);
  });

  it('a device clock a little behind the laptop that signed (within 5 min) is no reason to refuse', () => {
    const decision = decideRequest(input(signed(requestText(REQUEST)), { now: new Date('2026-12-06T08:56:00Z') }));
    assert.equal(decision?.accepted, true);
  });
});

describe('diagnostics request: refused', () => {
  const text = requestText(REQUEST);

  it('no request on the stick: nothing to decide', () => {
    assert.equal(decideRequest(input({ request: { status: 'missing' }, signature: { status: 'missing' } })), null);
  });

  it('diagnostics off: refused, even signed', () => {
    assert.equal(refusal(decideRequest(input(signed(text), { enabled: false })))[0], 'DIAGNOSTICS_DISABLED');
  });

  it('unsigned: refused', () => {
    assert.deepEqual(refusal(decideRequest(input({ request: ok(text), signature: { status: 'missing' } }))), ['DIAGNOSTICS_REQUEST_UNSIGNED', 'usb-updater-diagnostics.json has no usb-updater-diagnostics.json.sig beside it']);
  });

  it('signed by a key this device does not trust: refused', () => {
    const other = { request: ok(text), signature: ok(signRequest(keyPem('ec-p256-other.key'), 'other', Buffer.from(text))) };
    assert.equal(refusal(decideRequest(input(other)))[0], 'DIAGNOSTICS_REQUEST_SIGNATURE_INVALID');
  });

  it('tampered after signing (the device type changed): refused', () => {
    const files = signed(text, 'rsa');
    const tampered = { ...files, request: ok(text.replace('board-a', 'board-b')) };
    assert.equal(refusal(decideRequest(input(tampered, { device: { deviceType: 'board-b', deviceId: ID } })))[0], 'DIAGNOSTICS_REQUEST_SIGNATURE_INVALID');
  });

  it('a signature that is not base64, or a signature of garbage: refused', () => {
    assert.deepEqual(refusal(decideRequest(input({ request: ok(text), signature: ok('not base64!') }))), ['DIAGNOSTICS_REQUEST_SIGNATURE_INVALID', 'usb-updater-diagnostics.json.sig: not base64-encoded']);
    assert.equal(refusal(decideRequest(input({ request: ok(text), signature: ok(Buffer.alloc(64, 1).toString('base64')) })))[0], 'DIAGNOSTICS_REQUEST_SIGNATURE_INVALID');
  });

  it('expired: refused with both times', () => {
    const [code, message] = refusal(decideRequest(input(signed(text), { now: new Date('2026-12-07T09:00:00Z') })));
    assert.equal(code, 'DIAGNOSTICS_REQUEST_EXPIRED');
    assert.match(message, /expired at 2026-12-07T09:00:00Z \(the device's clock says 2026-12-07T09:00:00.000Z\)/);
  });

  it('a device clock at 1970 (no RTC): refused as not yet valid, never taken as valid forever', () => {
    const [code, message] = refusal(decideRequest(input(signed(text), { now: new Date(0) })));
    assert.equal(code, 'DIAGNOSTICS_REQUEST_EXPIRED');
    assert.match(message, /not valid before .* \(is it set\?\)/);
  });

  it('valid for longer than diagnostics.max_validity, or expiring before it is issued: refused', () => {
    const long = requestText({ ...REQUEST, expires: '2026-12-20T09:00:00Z' });
    assert.match(refusal(decideRequest(input(signed(long))))[1], /valid for 336 h, longer than diagnostics.max_validity \(168 h\)/);
    const backwards = requestText({ ...REQUEST, expires: '2026-12-06T08:00:00Z' });
    assert.equal(refusal(decideRequest(input(signed(backwards))))[0], 'DIAGNOSTICS_REQUEST_EXPIRED');
  });

  it('for another device type, another device id, or a device of unknown type: refused as foreign', () => {
    assert.deepEqual(refusal(decideRequest(input(signed(text), { device: { deviceType: 'board-b', deviceId: ID } }))), ['DIAGNOSTICS_REQUEST_FOREIGN', 'usb-updater-diagnostics.json: for device type "board-a"; this device is "board-b"']);
    assert.equal(refusal(decideRequest(input(signed(text), { device: { deviceType: null, deviceId: ID } })))[0], 'DIAGNOSTICS_REQUEST_FOREIGN');
    const byId = requestText({ format: 1, device_id: 'f'.repeat(32), issued: REQUEST.issued, expires: REQUEST.expires, nonce: REQUEST.nonce });
    assert.equal(refusal(decideRequest(input(signed(byId))))[0], 'DIAGNOSTICS_REQUEST_FOREIGN');
    assert.equal(refusal(decideRequest(input(signed(byId), { device: { deviceType: 'board-a', deviceId: null } })))[0], 'DIAGNOSTICS_REQUEST_FOREIGN');
  });

  it('oversized or not a regular file (as the reader refuses it): refused as malformed', () => {
    const files = { request: { status: 'refused', message: '5000 bytes, more than the 4096 a request may have' } as const, signature: { status: 'missing' } as const };
    assert.deepEqual(refusal(decideRequest(input(files))), ['DIAGNOSTICS_REQUEST_MALFORMED', 'usb-updater-diagnostics.json: 5000 bytes, more than the 4096 a request may have']);
    const badSig = { request: ok(text), signature: { status: 'refused', message: 'not a regular file' } as const };
    assert.equal(refusal(decideRequest(input(badSig)))[0], 'DIAGNOSTICS_REQUEST_MALFORMED');
  });

  const MALFORMED: [string, string, RegExp][] = [
    ['not JSON', 'device_type=board-a\n', /not JSON in UTF-8/],
    ['invalid UTF-8', '{"format":1,"device_type":"\xff"}', /not JSON in UTF-8/],
    ['a format this version does not know', JSON.stringify({ ...REQUEST, format: 2 }), /format/],
    ['both device_type and device_id', JSON.stringify({ ...REQUEST, device_id: ID }), /exactly one of device_type and device_id/],
    ['neither', JSON.stringify({ format: 1, issued: REQUEST.issued, expires: REQUEST.expires, nonce: REQUEST.nonce }), /exactly one/],
    ['an unknown key', JSON.stringify({ ...REQUEST, command: 'rm -rf /' }), /command/],
    ['a time without its offset', JSON.stringify({ ...REQUEST, expires: '2026-12-07 09:00' }), /expires/],
    ['a short nonce', JSON.stringify({ ...REQUEST, nonce: 'abc' }), /nonce/],
    ['an array', '[]', /expected object/],
  ];
  for (const [name, content, message] of MALFORMED) {
    it(`signed but malformed (${name}): refused as malformed`, () => {
      const bytes = Buffer.from(content, 'latin1');
      const files = { request: ok(bytes), signature: ok(signRequest(KEYS.ed25519.priv, 'ed', bytes)) };
      const [code, text] = refusal(decideRequest(input(files)));
      assert.equal(code, 'DIAGNOSTICS_REQUEST_MALFORMED');
      assert.match(text, message);
    });
  }

  it('malformed and unsigned: refused as unsigned, its content never read', () => {
    assert.equal(refusal(decideRequest(input({ request: ok('{{{'), signature: { status: 'missing' } })))[0], 'DIAGNOSTICS_REQUEST_UNSIGNED');
  });
});

describe('diagnostics request: the CLI side', () => {
  it('requestText writes the fields in a fixed order and what it writes passes the device schema', () => {
    assert.equal(requestText(REQUEST), '{"format":1,"device_type":"board-a","issued":"2026-12-06T09:00:00Z","expires":"2026-12-07T09:00:00Z","nonce":"00112233445566778899aabbccddeeff"}\n');
    assert.equal(requestProblem(REQUEST), null);
    assert.match(requestProblem({ ...REQUEST, device_id: 'ABC' }) ?? '', /device_id/);
  });
});

describe('diagnostics request: messages', () => {
  it('a signed request naming a type with a bidi override or a newline: the refusal shows it escaped', () => {
    const text = requestText({ ...REQUEST, device_type: 'board-\u202e\n' });
    const [code, message] = refusal(decideRequest(input(signed(text))));
    assert.equal(code, 'DIAGNOSTICS_REQUEST_FOREIGN');
    assert.ok(message.includes('"board-\\u202e\\n"'), message);
    assert.ok(!/[\u202e\n]/.test(message));
  });
});
