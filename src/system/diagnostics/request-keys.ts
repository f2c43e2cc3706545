// The keys of diagnostics requests, with node:crypto: the public keys a device verifies requests
// with (the kinds mender-artifact signs with: RSA >= 2048 bits, ECDSA P-256, Ed25519) and the
// private key a laptop signs one with. A signature is base64 text, like an artifact's manifest.sig:
// RSA PKCS#1 v1.5 and ECDSA over SHA-256 (DER, as `openssl dgst -sha256 -sign` writes it, or raw
// r||s), Ed25519 over the bytes themselves (`openssl pkeyutl -sign -rawin`).

import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { parsePublicKey, verifyManifestSignature, type VerificationKey } from '../../artifact/index.js';
import { UpdaterError } from '../../errors/index.js';
import { readSmallTextFile } from '../os/files.js';

const KEY_FILE_MAX = 64 * 1024;
const MIN_RSA_BITS = 2048;

/** A public key that may verify requests: an artifact key kind, or Ed25519. */
export function parseRequestKey(pem: string, source: string): VerificationKey {
  if (/PRIVATE KEY-----/.test(pem)) return parsePublicKey(pem, source);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new UpdaterError('KEY_INVALID', `${source}: not a PEM public key (${(err as Error).message})`, { cause: err });
  }
  return key.asymmetricKeyType === 'ed25519' ? { source, key } : parsePublicKey(pem, source);
}

/** The files of `paths` (relative to `baseDir`), read with the usual bound, parsed. */
export async function loadRequestKeys(paths: readonly string[], baseDir: string): Promise<VerificationKey[]> {
  return Promise.all(paths.map(async (path) => {
    const absolute = isAbsolute(path) ? path : resolve(baseDir, path);
    try {
      return parseRequestKey(await readSmallTextFile(absolute, KEY_FILE_MAX), absolute);
    } catch (err) {
      if (err instanceof UpdaterError && err.code === 'IO_ERROR') throw new UpdaterError('KEY_INVALID', `key ${err.message}`, { cause: err });
      throw err;
    }
  }));
}

/** The source of the first of `keys` that verifies `signature` over `data`, or null. */
export function requestVerifier(keys: readonly VerificationKey[]): (data: Uint8Array, signature: Uint8Array) => string | null {
  return (data, signature) => {
    const bytes = Buffer.from(data);
    const sig = Buffer.from(signature);
    for (const key of keys) {
      if (key.key.asymmetricKeyType === 'ed25519') {
        try {
          if (verify(null, bytes, key.key, sig)) return key.source;
        } catch {
          // A signature of the wrong length for this key: not a valid one.
        }
      } else if (verifyManifestSignature(bytes, sig, [key])) return key.source;
    }
    return null;
  };
}

/**
 * Signs `data` with the private key `pem` (from `source`): the base64 text of the signature file,
 * ending with a newline.
 */
export function signRequest(pem: string, source: string, data: Uint8Array): string {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new UpdaterError('KEY_INVALID', `${source}: not an unencrypted PEM private key (${(err as Error).message})`, { cause: err });
  }
  const details = key.asymmetricKeyDetails ?? {};
  let signature: Buffer;
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) throw new UpdaterError('KEY_INVALID', `${source}: RSA key of ${details.modulusLength} bits; at least ${MIN_RSA_BITS} are required`);
    signature = sign('sha256', data, key);
  } else if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve !== 'prime256v1') throw new UpdaterError('KEY_INVALID', `${source}: EC key on curve ${details.namedCurve}; only P-256 (prime256v1) is supported`);
    signature = sign('sha256', data, { key, dsaEncoding: 'der' });
  } else if (key.asymmetricKeyType === 'ed25519') {
    signature = sign(null, data, key);
  } else {
    throw new UpdaterError('KEY_INVALID', `${source}: ${key.asymmetricKeyType} keys are not supported; use RSA, EC P-256 or Ed25519`);
  }
  return `${signature.toString('base64')}\n`;
}

/** A private key file, read with the usual bound. */
export async function readPrivateKey(path: string): Promise<string> {
  try {
    return await readSmallTextFile(path, KEY_FILE_MAX);
  } catch (err) {
    if (err instanceof UpdaterError && err.code === 'IO_ERROR') throw new UpdaterError('KEY_INVALID', `key ${err.message}`, { cause: err });
    throw err;
  }
}
