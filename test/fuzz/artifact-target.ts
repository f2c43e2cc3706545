// Fuzz target 1: the artifact reader. Each input is read from a Buffer as a stream in header-only
// mode and in full (verify) mode, with the fixtures' public keys; some inputs are also fed one byte at
// a time. Beyond the oracle's rule, the reads must agree: a full read that succeeds implies a
// header-only read that gives the same model, and byte-at-a-time reading changes nothing.

import { parsePublicKey, readArtifact, type ArtifactInfo, type ReadOptions } from '../../src/artifact/index.js';
import { artifact, FIXTURE_NAMES, keyPem } from '../support/skip/fixtures.js';
import { repairArtifact } from './artifact-repair.js';
import { regressionInputs } from './corpus-files.js';
import { Finding, outcomeOf, requireSameOutcome, label, type Outcome } from './oracle.js';
import { ARTIFACT_MUTATORS } from './structure.js';
import type { FuzzTarget } from './target.js';

export const KEYS = ['ec-p256.pub', 'ec-p384.pub', 'rsa3072.pub', 'rsa2048-other.pub'].flatMap((name) => {
  try {
    return [parsePublicKey(keyPem(name), name)];
  } catch {
    return []; // a key the reader refuses (P-384) is simply not offered
  }
});

// `report`: a bad signature still yields a model, so the reads after it are exercised too.
export const HEADER: ReadOptions = { mode: 'header', keys: KEYS, signature: 'report' };
const FULL: ReadOptions = { mode: 'full', keys: KEYS, signature: 'report' };

/** One in this many inputs is also read one byte at a time (slow: one chunk per byte)… */
const BYTEWISE_EVERY = 16;
/** …if it is no larger than the largest fixture, so that it stays far inside the per-input time limit. */
const BYTEWISE_MAX = 32 * 1024;

function* bytewise(buf: Buffer): Generator<Uint8Array> {
  for (let i = 0; i < buf.length; i += 1) yield buf.subarray(i, i + 1);
}

const readsBytewise = (exec: number, input: Buffer): boolean => exec % BYTEWISE_EVERY === 0 && input.length <= BYTEWISE_MAX;

/** The full model as header-only mode would give it: sizes unknown, payloads not streamed. */
function asHeaderOnly(info: ArtifactInfo): ArtifactInfo {
  return {
    ...info,
    payloads: info.payloads.map((p) => ({ ...p, files: p.files.map((f) => ({ ...f, size: null })) })),
    payloads_verified: false,
  };
}

const TOKENS = [
  'version', 'manifest', 'manifest.sig', 'manifest-augment', 'header.tar', 'header.tar.gz', 'header.tar.xz', 'header.tar.zst',
  'header-augment.tar.gz', 'data/0000.tar', 'data/0000.tar.gz', 'data/0001.tar.xz', 'data/0000/', 'header-info',
  'headers/0000/type-info', 'headers/0000/meta-data', 'headers/0000/files', 'scripts/ArtifactInstall_Enter_00', '../',
  '{"format":"mender","version":3}', '"version":2', '"payloads"', '"artifact_provides"', '"artifact_depends"', '"device_type"',
  '"artifact_name"', '"artifact_group"', '"type"', '"clears_artifact_provides"', '"rootfs-image"', 'null', '[]', '{}', '""',
  'ustar\x0000', 'ustar  \x00', '00000000000\x00', '0000644\x00', '77777777777\x00',
];
const MAGIC = [Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('\xfd7zXZ\x00', 'latin1'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])];

const artifactTarget: FuzzTarget = {
  name: 'artifact',
  seeds: () => [...FIXTURE_NAMES.map((name) => artifact(name)), ...regressionInputs('artifact').map((r) => r.bytes)],
  dictionary: [...TOKENS.map((t) => Buffer.from(t, 'latin1')), ...MAGIC],
  maxLength: 64 * 1024,
  covers: (url) => url.includes('/dist/src/artifact/') || /\/node_modules\/(tar-stream|streamx|xz-decompress|b4a|fast-fifo)\//.test(url),
  repair: repairArtifact,
  structured: Object.values(ARTIFACT_MUTATORS),
  // A byte-at-a-time read costs far more per KB than a whole one: the time oracle does not judge it.
  untimed: readsBytewise,
  async run(input, exec) {
    const header = await outcomeOf(() => readArtifact([input], HEADER), 'header-only read');
    const full = await outcomeOf(() => readArtifact([input], FULL), 'full read');
    if (full.ok) {
      const expected: Outcome<ArtifactInfo> = { ok: true, value: asHeaderOnly(full.value) };
      if (!header.ok) throw new Finding('inconsistent', `the full read succeeds but the header-only read fails with ${header.code}: ${header.message}`);
      requireSameOutcome(header, expected, 'header-only read vs the full read\'s header');
    }
    let bytewiseNote = '';
    if (readsBytewise(exec, input)) {
      const bytes = await outcomeOf(() => readArtifact(bytewise(input), FULL), 'full read, one byte at a time');
      if (requireSameOutcome(bytes, full, 'full read one byte at a time vs whole', false) === 'codes differ') bytewiseNote = ' (byte at a time: another code)';
    }
    return `header ${label(header)}, full ${label(full)}${bytewiseNote}`;
  },
};

export default artifactTarget;
