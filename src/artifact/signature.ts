// Manifest signatures: parsing verification keys and checking `manifest.sig`.
// Mender signs the manifest bytes with SHA-256: RSA as PKCS#1 v1.5, ECDSA P-256 as raw r||s (64
// bytes; DER is accepted too, as newer Mender does). Several keys may be given for rotation: the
// signature is good when any one of them verifies it. Keys are PEM text here; reading files is the
// caller's business.

import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { UpdaterError } from '../errors/index.js';

export interface VerificationKey {
  /** Where the key came from, for messages: usually its file path. */
  source: string;
  key: KeyObject;
}

const MIN_RSA_BITS = 2048;

/** Parses a PEM public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`) and checks it is usable. */
export function parsePublicKey(pem: string, source: string): VerificationKey {
  if (/PRIVATE KEY-----/.test(pem)) {
    throw new UpdaterError('KEY_INVALID', `${source}: is a private key; give the public key (openssl pkey -pubout)`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new UpdaterError('KEY_INVALID', `${source}: not a PEM public key (${(err as Error).message})`, { cause: err });
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw new UpdaterError('KEY_INVALID', `${source}: RSA key of ${details.modulusLength} bits; at least ${MIN_RSA_BITS} are required`);
    }
  } else if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve !== 'prime256v1') {
      throw new UpdaterError('KEY_INVALID', `${source}: EC key on curve ${details.namedCurve}; only P-256 (prime256v1) is supported`);
    }
  } else {
    throw new UpdaterError('KEY_INVALID', `${source}: ${key.asymmetricKeyType} keys are not supported; use RSA or EC P-256`);
  }
  return { source, key };
}

/** Decodes `manifest.sig`: padded base64, optionally followed by one newline. */
export function decodeSignature(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1').replace(/\n$/, '');
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new UpdaterError('ARTIFACT_SIGNATURE_INVALID', 'manifest.sig: not base64-encoded');
  }
  return Buffer.from(text, 'base64');
}

function verifiesWith(manifest: Buffer, signature: Buffer, { key }: VerificationKey): boolean {
  if (key.asymmetricKeyType === 'rsa') {
    return verify('sha256', manifest, key, signature);
  }
  // ECDSA: 64 bytes is Mender's raw r||s; anything else can only be DER.
  const dsaEncoding = signature.length === 64 ? 'ieee-p1363' : 'der';
  try {
    return verify('sha256', manifest, { key, dsaEncoding }, signature);
  } catch {
    return false; // malformed DER: simply not a valid signature for this key
  }
}

/** True when any of `keys` verifies `signature` over the manifest bytes. */
export function verifyManifestSignature(manifest: Buffer, signature: Buffer, keys: readonly VerificationKey[]): boolean {
  return keys.some((key) => {
    try {
      return verifiesWith(manifest, signature, key);
    } catch {
      return false; // e.g. an RSA signature of the wrong length for this key
    }
  });
}
