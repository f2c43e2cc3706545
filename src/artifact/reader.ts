// The artifact reader (the parser over the member lexer): reads a Mender artifact, format 2 or 3,
// from any byte stream, checks every checksum and, given keys, the signature, and returns its model.
// Header-only mode stops reading right after the header (a few KiB, whatever the artifact size);
// full mode also streams and checks every payload file. The reader trusts nothing it has not
// checked: each member is size-bounded before it is read, and no model is returned unless the
// manifest vouches for every byte that shaped it.

import { createHash } from 'node:crypto';
import { UpdaterError } from '../errors/index.js';
import { shorten } from '../log/index.js';
import { expandBounded } from './decompress.js';
import { parseHeaderTar, type ParsedHeader } from './header.js';
import { checkJsonBounds } from './json-bounds.js';
import { LIMITS } from './limits.js';
import { parseDataPath, parseManifest, type Manifest } from './manifest.js';
import { classifyMember, MemberOrder, type Member } from './members.js';
import { mergeAugment } from './augment.js';
import type { ArtifactInfo, Compression, Payload, PayloadFile } from './model.js';
import { verifyPayloadData } from './payload-data.js';
import { decodeSignature, verifyManifestSignature, type VerificationKey } from './signature.js';
import { readAll, type ByteSource } from './streams.js';
import { tarEntries } from './tar-entries.js';

export interface ReadOptions {
  /** `header`: stop after the header; `full`: also stream and check every payload file. */
  mode: 'header' | 'full';
  /** Public keys; when any are given the manifest signature is checked. */
  keys?: readonly VerificationKey[];
  /**
   * With keys: `require` (default) fails on a missing or bad signature; `report` returns the model
   * with `signature_verified: false`, for callers that explain rejections.
   */
  signature?: 'require' | 'report';
  /** Called with the count of artifact bytes consumed so far. */
  onProgress?: (bytesRead: number) => void;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function parseVersion(bytes: Buffer): 2 | 3 {
  const text = bytes.toString('utf8');
  checkJsonBounds(text, { maxDepth: LIMITS.jsonDepth, maxString: LIMITS.jsonNameLength }, 'version');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UpdaterError('ARTIFACT_BAD_VERSION', 'version: not valid JSON');
  }
  const { format, version } = (json ?? {}) as { format?: unknown; version?: unknown };
  if (format !== 'mender') throw new UpdaterError('ARTIFACT_BAD_VERSION', `version: format is ${JSON.stringify(format)}, not "mender"`);
  if (version !== 2 && version !== 3) {
    throw new UpdaterError('ARTIFACT_BAD_VERSION', `version: format version ${JSON.stringify(version)} is not supported (2 and 3 are)`);
  }
  return version;
}

function checksum(manifest: Manifest, manifestName: string, member: string, bytes: Buffer): void {
  const want = manifest.get(member);
  if (want === undefined) throw new UpdaterError('ARTIFACT_BAD_MANIFEST', `${manifestName}: has no checksum for ${member}`);
  const got = sha256(bytes);
  if (got !== want) throw new UpdaterError('ARTIFACT_CHECKSUM_MISMATCH', `${member}: SHA-256 ${got} does not match the ${manifestName}'s ${want}`);
}

/** A payload file a manifest lists: its checksum, and whether the unsigned manifest-augment did. */
interface ListedFile {
  checksum: string;
  augmented: boolean;
}

/** What one read has learned so far; filled member by member. */
interface ReadState {
  format: 2 | 3 | null;
  versionBytes: Buffer | null;
  manifestBytes: Buffer | null;
  manifest: Manifest | null;
  signature: Buffer | null;
  augmentManifest: Manifest | null;
  signatureVerified: boolean | null;
  compression: Compression | null;
  header: ParsedHeader | null;
  augment: ParsedHeader | null;
  /** Expected payload files, by payload index: name → checksum and whether it is augmented. */
  files: Map<number, Map<string, ListedFile>>;
  sizes: Map<number, Map<string, number>>;
}

function requireManifest(state: ReadState, member: string): Manifest {
  if (!state.manifest) throw new UpdaterError('ARTIFACT_MISSING_MEMBER', `artifact: ${member} comes before any manifest`);
  return state.manifest;
}

/** Checks a manifest's paths and collects the payload files it lists. */
function collectManifest(state: ReadState, manifest: Manifest, name: string, augmented: boolean, allowed: (path: string) => boolean): void {
  for (const [path, digest] of manifest) {
    if (allowed(path)) continue;
    const data = parseDataPath(path);
    if (!data) throw new UpdaterError('ARTIFACT_BAD_MANIFEST', `${name}: unexpected path ${JSON.stringify(shorten(path))}`);
    if (data.index >= LIMITS.payloads) throw new UpdaterError('ARTIFACT_TOO_LARGE', `${name}: payload index ${data.index} is beyond the limit`);
    const files = state.files.get(data.index) ?? new Map<string, ListedFile>();
    if (files.has(data.name)) throw new UpdaterError('ARTIFACT_BAD_MANIFEST', `${name}: ${shorten(path)} is also in the other manifest`);
    files.set(data.name, { checksum: digest, augmented });
    state.files.set(data.index, files);
  }
}

function checkSignature(state: ReadState, options: ReadOptions): void {
  const keys = options.keys ?? [];
  if (keys.length === 0) return;
  const report = options.signature === 'report';
  if (!state.signature) {
    if (!report) throw new UpdaterError('ARTIFACT_SIGNATURE_MISSING', 'artifact: not signed (no manifest.sig), but a verification key was given');
    state.signatureVerified = false;
    return;
  }
  state.signatureVerified = verifyManifestSignature(state.manifestBytes as Buffer, state.signature, keys);
  if (!state.signatureVerified && !report) {
    throw new UpdaterError('ARTIFACT_SIGNATURE_INVALID', `manifest.sig: does not verify with ${keys.length === 1 ? 'the given key' : `any of the ${keys.length} given keys`}`);
  }
}

async function readHeaderMember(member: Member, body: AsyncIterable<Uint8Array>, size: number, manifest: Manifest, manifestName: string, format: 2 | 3): Promise<ParsedHeader> {
  if (size > LIMITS.headerStoredBytes) {
    throw new UpdaterError('ARTIFACT_TOO_LARGE', `${member.name}: ${size} bytes, over the ${LIMITS.headerStoredBytes}-byte limit`);
  }
  const stored = await readAll(body, LIMITS.headerStoredBytes, member.name);
  // The checksum is checked before decompressing: nothing unvouched-for reaches a decompressor.
  checksum(manifest, manifestName, member.name, stored);
  const limit = Math.min(LIMITS.headerExpandedBytes, Math.max(LIMITS.headerRatioFloorBytes, stored.length * LIMITS.headerExpansionRatio));
  const expanded = await expandBounded(stored, member.compression, member.name, limit);
  return parseHeaderTar(expanded, format, member.name);
}

/** Checks the header's payloads against header-info and the manifests' file lists. */
function checkPayloadHeaders(state: ReadState, header: ParsedHeader, member: string): void {
  const { info, payloads } = header;
  if (payloads.length !== info.payloadTypes.length) {
    throw new UpdaterError('ARTIFACT_BAD_HEADER', `${member}: header-info lists ${info.payloadTypes.length} payload(s) but there are ${payloads.length} headers/NNNN folders`);
  }
  payloads.forEach((payload, index) => {
    const declared = info.payloadTypes[index] ?? null;
    if (payload.type !== null && payload.type !== declared) {
      throw new UpdaterError('ARTIFACT_BAD_HEADER', `${member}: headers/${String(index).padStart(4, '0')}/type-info says type ${JSON.stringify(payload.type)} but header-info says ${JSON.stringify(declared)}`);
    }
    if (state.format === 2) {
      const listed = [...(state.files.get(index)?.keys() ?? [])].sort();
      const named = [...(payload.files ?? [])].sort();
      if (listed.join('\n') !== named.join('\n')) {
        throw new UpdaterError('ARTIFACT_PAYLOAD_MISMATCH', `${member}: headers/${String(index).padStart(4, '0')}/files lists [${named.join(', ')}] but the manifest lists [${listed.join(', ')}]`);
      }
    }
  });
  for (const index of state.files.keys()) {
    if (index >= payloads.length) throw new UpdaterError('ARTIFACT_PAYLOAD_MISMATCH', `manifest: lists files for payload ${index}, which the header does not declare`);
  }
}

function buildInfo(state: ReadState, full: boolean): ArtifactInfo {
  const header = state.header as ParsedHeader;
  const { info } = header;
  const payloads: Payload[] = header.payloads.map((payload, index) => {
    const files: PayloadFile[] = [...(state.files.get(index) ?? new Map<string, ListedFile>())].map(([name, file]) => ({
      name,
      size: full ? (state.sizes.get(index)?.get(name) ?? null) : null,
      checksum: file.checksum,
      augmented: file.augmented,
    }));
    return mergeAugment(
      {
        type: payload.type ?? info.payloadTypes[index] ?? null,
        artifact_provides: payload.provides,
        artifact_depends: payload.depends,
        clears_artifact_provides: payload.clearsProvides,
        meta_data: payload.metaData,
        files,
        augmented: { type: false, artifact_provides: [], artifact_depends: [], meta_data: false },
      },
      state.augment?.payloads[index],
    );
  });
  return {
    format_version: state.format as 2 | 3,
    name: info.name,
    group: info.group,
    device_types: info.deviceTypes,
    artifact_provides: info.provides,
    artifact_depends: info.depends,
    compression: state.compression as Compression,
    signed: state.signature !== null,
    signature_verified: state.signatureVerified,
    augmented: state.augment !== null,
    state_scripts: header.scripts,
    payloads,
    payloads_verified: full,
    manifest_sha256: sha256(state.manifestBytes as Buffer),
  };
}

/** What the tar stream may hold so far: its members' declared blocks plus LIMITS.tarSlackBytes. */
interface TarBudget {
  allowed: number;
  members: number;
}

const TAR_BLOCK = 512;

/** Counts a member: its header block and its body, padded to whole blocks. */
function declare(budget: TarBudget, size: number): void {
  budget.members += 1;
  budget.allowed += TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
}

/**
 * `source`, refused as soon as it runs more than the slack past what the tar's member headers
 * declare. tar-stream skips zero blocks silently, so without this a file of zeros (a pre-allocated
 * or aborted copy) or an endless pipe would be read to its end, however far that is.
 */
function withinDeclared(source: ByteSource, budget: TarBudget): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: (): AsyncIterator<Uint8Array> => {
      const inner = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
      let read = 0;
      return {
        async next() {
          // Judged when the next chunk is asked for: the tar parser has then seen every member
          // header the bytes delivered so far hold, however large the chunks are.
          if (read > budget.allowed) {
            void Promise.resolve(inner.return?.()).catch(() => undefined);
            throw new UpdaterError('ARTIFACT_NOT_TAR', budget.members === 0
              ? `artifact: no tar member in its first ${read} bytes (zeros of a pre-allocated or aborted copy?)`
              : `artifact: more than ${LIMITS.tarSlackBytes} bytes past its members' end without another member (zeros of an aborted copy?)`);
          }
          const step = await inner.next();
          if (step.done !== true) read += step.value.length;
          return step;
        },
        // Passed straight on (not queued behind a pending read, as a generator's would be): a reader
        // that stops must be able to close a source that stalls.
        async return() {
          await inner.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/**
 * Reads an artifact from `source`. Throws an UpdaterError naming the member and the problem for
 * anything malformed, inconsistent, oversized or unverifiable.
 */
export async function readArtifact(source: ByteSource, options: ReadOptions): Promise<ArtifactInfo> {
  const state: ReadState = {
    format: null, versionBytes: null, manifestBytes: null, manifest: null, signature: null,
    augmentManifest: null, signatureVerified: null, compression: null, header: null, augment: null,
    files: new Map(), sizes: new Map(),
  };
  const order = new MemberOrder();
  let consumed = 0;
  const onChunk = (n: number): void => {
    consumed += n;
    options.onProgress?.(consumed);
  };
  let sawAnything = false;
  let headerDone = false;
  const budget: TarBudget = { allowed: LIMITS.tarSlackBytes, members: 0 };

  for await (const entry of tarEntries(withinDeclared(source, budget), 'artifact', onChunk)) {
    sawAnything = true;
    declare(budget, entry.size);
    const member = classifyMember(entry.name, state.format);
    order.accept(member);
    switch (member.kind) {
      case 'version':
        if (entry.size > LIMITS.versionBytes) throw new UpdaterError('ARTIFACT_TOO_LARGE', `version: ${entry.size} bytes, over the ${LIMITS.versionBytes}-byte limit`);
        state.versionBytes = await readAll(entry.body, LIMITS.versionBytes, 'version');
        state.format = parseVersion(state.versionBytes);
        break;
      case 'manifest':
        if (entry.size > LIMITS.manifestBytes) throw new UpdaterError('ARTIFACT_TOO_LARGE', `manifest: ${entry.size} bytes, over the ${LIMITS.manifestBytes}-byte limit`);
        state.manifestBytes = await readAll(entry.body, LIMITS.manifestBytes, 'manifest');
        state.manifest = parseManifest(state.manifestBytes, 'manifest');
        // `version` came before the manifest that vouches for it: check it now.
        checksum(state.manifest, 'manifest', 'version', state.versionBytes as Buffer);
        collectManifest(state, state.manifest, 'manifest', false, (path) => path === 'version' || path.startsWith('header.tar'));
        break;
      case 'manifest.sig':
        requireManifest(state, member.name);
        if (entry.size > LIMITS.signatureBytes) throw new UpdaterError('ARTIFACT_TOO_LARGE', `manifest.sig: ${entry.size} bytes, over the ${LIMITS.signatureBytes}-byte limit`);
        state.signature = decodeSignature(await readAll(entry.body, LIMITS.signatureBytes, 'manifest.sig'));
        break;
      case 'manifest-augment': {
        requireManifest(state, member.name);
        if (entry.size > LIMITS.manifestBytes) throw new UpdaterError('ARTIFACT_TOO_LARGE', `manifest-augment: ${entry.size} bytes, over the ${LIMITS.manifestBytes}-byte limit`);
        state.augmentManifest = parseManifest(await readAll(entry.body, LIMITS.manifestBytes, 'manifest-augment'), 'manifest-augment');
        collectManifest(state, state.augmentManifest, 'manifest-augment', true, (path) => path.startsWith('header-augment.tar'));
        break;
      }
      case 'header': {
        const manifest = requireManifest(state, member.name);
        // The signature is checked before any header byte is parsed.
        checkSignature(state, options);
        state.compression = member.compression;
        state.header = await readHeaderMember(member, entry.body, entry.size, manifest, 'manifest', state.format as 2 | 3);
        checkPayloadHeaders(state, state.header, member.name);
        headerDone = state.augmentManifest === null;
        break;
      }
      case 'header-augment':
        if (!state.header) throw new UpdaterError('ARTIFACT_MISSING_MEMBER', `artifact: ${member.name} comes before header.tar.*`);
        if (!state.augmentManifest) throw new UpdaterError('ARTIFACT_MISSING_MEMBER', `artifact: ${member.name} without a manifest-augment to vouch for it`);
        state.augment = await readHeaderMember(member, entry.body, entry.size, state.augmentManifest, 'manifest-augment', 3);
        checkAugmentHeader(state.header, state.augment, member.name);
        headerDone = true;
        break;
      case 'data': {
        if (!headerDone) {
          throw new UpdaterError('ARTIFACT_MISSING_MEMBER', `artifact: ${member.name} before ${state.header ? 'header-augment.tar.*' : 'header.tar.*'}`);
        }
        const payloads = (state.header as ParsedHeader).payloads.length;
        if (member.index >= payloads) throw new UpdaterError('ARTIFACT_PAYLOAD_MISMATCH', `artifact: ${member.name}, but the header declares ${payloads} payload(s)`);
        const expected = new Map([...(state.files.get(member.index) ?? [])].map(([name, file]) => [name, file.checksum]));
        state.sizes.set(member.index, await verifyPayloadData(entry.body, member.name, member.compression, expected));
        break;
      }
    }
    // Header-only mode: everything a decision needs is known; stop reading the stick.
    if (headerDone && options.mode === 'header') return buildInfo(state, false);
  }

  if (!sawAnything) {
    throw consumed === 0
      ? new UpdaterError('ARTIFACT_EMPTY', 'artifact: the file is empty')
      : new UpdaterError('ARTIFACT_NOT_TAR', 'artifact: a tar archive with no members, not a Mender artifact');
  }
  if (!state.versionBytes) throw new UpdaterError('ARTIFACT_MISSING_MEMBER', 'artifact: no version member');
  if (!state.manifest) throw new UpdaterError('ARTIFACT_TRUNCATED', 'artifact: ends before the manifest');
  if (!state.header) throw new UpdaterError('ARTIFACT_TRUNCATED', 'artifact: ends before the header (header.tar.*)');
  if (!headerDone) throw new UpdaterError('ARTIFACT_TRUNCATED', 'artifact: ends before header-augment.tar.*, which manifest-augment announces');
  const declared = state.header.payloads.length;
  if (order.dataMembersSeen < declared) {
    throw new UpdaterError('ARTIFACT_TRUNCATED', `artifact: ends after ${order.dataMembersSeen} of ${declared} payload data member(s)`);
  }
  return buildInfo(state, true);
}

/**
 * The augment header may change payload type-info and meta-data (that is its purpose), but not the
 * artifact-wide header-info, which decides device compatibility: an unsigned section must never
 * retarget an artifact to other devices or names.
 */
function checkAugmentHeader(header: ParsedHeader, augment: ParsedHeader, member: string): void {
  const artifactWide = ({ name, group, deviceTypes, provides, depends }: ParsedHeader['info']): string =>
    JSON.stringify([name, group, deviceTypes, provides, depends]);
  if (artifactWide(header.info) !== artifactWide(augment.info)) {
    throw new UpdaterError('ARTIFACT_BAD_HEADER', `${member}: its header-info differs from the signed header's; the unsigned augment section may not change artifact name, group, device types or depends`);
  }
  if (augment.scripts.length > 0) throw new UpdaterError('ARTIFACT_BAD_HEADER', `${member}: holds state scripts, which only the signed header may carry`);
  if (augment.payloads.length > header.payloads.length) {
    throw new UpdaterError('ARTIFACT_BAD_HEADER', `${member}: describes ${augment.payloads.length} payloads, the header ${header.payloads.length}`);
  }
}
