// The header tar (`header.tar.*`, and `header-augment.tar.*` in augmented artifacts): header-info,
// state scripts and one `headers/NNNN/` folder per payload. Entry order is enforced as Mender writes
// it (header-info, then scripts, then payload folders in index order, each as files < type-info <
// meta-data); JSON shapes are checked field by field, because later stages trust these types.

import { UpdaterError } from '../errors/index.js';
import { shorten } from '../log/index.js';
import type { DependsMap, ProvidesMap } from './model.js';
import { checkJsonBounds, type JsonBounds } from './json-bounds.js';
import { LIMITS } from './limits.js';
import { readAll } from './streams.js';
import { tarEntries } from './tar-entries.js';

export interface HeaderInfo {
  /** null: a payload without a type (a bootstrap artifact, whose header-info says `"type": null`). */
  payloadTypes: (string | null)[];
  name: string;
  group: string | null;
  deviceTypes: string[];
  provides: ProvidesMap;
  depends: DependsMap;
}

export interface PayloadHeader {
  /** null for rootfs-image written by `mender-artifact write` (empty string there). */
  type: string | null;
  provides: ProvidesMap;
  depends: DependsMap;
  clearsProvides: string[];
  metaData: Record<string, unknown> | null;
  /** Format 2 lists payload file names in the header; format 3 leaves that to the manifest. */
  files: string[] | null;
}

export interface ParsedHeader {
  info: HeaderInfo;
  scripts: string[];
  payloads: PayloadHeader[];
}

const SCRIPT_NAME = /^(Idle|Sync|Download|ArtifactInstall|ArtifactReboot|ArtifactCommit|ArtifactRollback|ArtifactRollbackReboot|ArtifactFailure)_(Enter|Leave|Error)_\d\d(_[A-Za-z0-9_.-]+)?$/;
const PAYLOAD_ENTRY = /^headers\/(\d{4})\/(files|type-info|meta-data)$/;
const PAYLOAD_ENTRY_RANK = { files: 0, 'type-info': 1, 'meta-data': 2 } as const;

function bad(where: string, message: string): UpdaterError {
  return new UpdaterError('ARTIFACT_BAD_HEADER', `${where}: ${message}`);
}

type Json = Record<string, unknown>;

/** header-info, type-info and files: names. */
const NAMES: JsonBounds = { maxDepth: LIMITS.jsonDepth, maxString: LIMITS.jsonNameLength };
/** meta-data: free-form values. */
const META_DATA: JsonBounds = { maxDepth: LIMITS.jsonDepth, maxString: LIMITS.jsonStringLength };

function parseJsonObject(bytes: Buffer, where: string, bounds: JsonBounds = NAMES): Json {
  const text = bytes.toString('utf8');
  // Bounded before parsing: nothing deeper or longer ever reaches a consumer.
  checkJsonBounds(text, bounds, where);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bad(where, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(where, 'not a JSON object');
  return value as Json;
}

function stringField(obj: Json, key: string, where: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value === '') throw bad(where, `"${key}" must be a non-empty string`);
  return value;
}

function stringList(value: unknown, where: string, key: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw bad(where, `"${key}" must be a list of strings`);
  }
  return value;
}

function stringMap(value: unknown, where: string, key: string): ProvidesMap {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw bad(where, `"${key}" must be an object`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw bad(where, `"${key}.${k}" must be a string`);
  }
  return { ...(value as ProvidesMap) };
}

function dependsMap(value: unknown, where: string, key: string): DependsMap {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw bad(where, `"${key}" must be an object`);
  const out: DependsMap = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = typeof v === 'string' ? v : stringList(v, where, `${key}.${k}`);
  }
  return out;
}

function payloadTypes(list: unknown, where: string, key: string): (string | null)[] {
  if (!Array.isArray(list)) throw bad(where, `"${key}" must be a list`);
  if (list.length > LIMITS.payloads) throw new UpdaterError('ARTIFACT_TOO_LARGE', `${where}: more than ${LIMITS.payloads} payloads`);
  return list.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw bad(where, `"${key}[${i}]" must be an object`);
    // `"type": null` is a bootstrap artifact's empty payload, read as `mender-artifact read` reads it.
    if ((item as Json).type === null) return null;
    return stringField(item as Json, 'type', `${where} ${key}[${i}]`);
  });
}

function parseHeaderInfo(bytes: Buffer, format: 2 | 3, where: string): HeaderInfo {
  const json = parseJsonObject(bytes, where);
  if (format === 2) {
    const name = stringField(json, 'artifact_name', where);
    const deviceTypes = stringList(json.device_types_compatible, where, 'device_types_compatible');
    if (deviceTypes.length === 0) throw bad(where, '"device_types_compatible" is empty');
    return {
      payloadTypes: payloadTypes(json.updates, where, 'updates'),
      name,
      group: null,
      deviceTypes,
      provides: { artifact_name: name },
      depends: { device_type: deviceTypes },
    };
  }
  const provides = stringMap(json.artifact_provides, where, 'artifact_provides');
  const name = stringField(provides, 'artifact_name', `${where} artifact_provides`);
  const depends = dependsMap(json.artifact_depends, where, 'artifact_depends');
  const deviceTypes = stringList(depends.device_type, where, 'artifact_depends.device_type');
  if (deviceTypes.length === 0) throw bad(where, '"artifact_depends.device_type" is empty');
  for (const key of ['artifact_name', 'artifact_group'] as const) {
    if (depends[key] !== undefined) stringList(depends[key], where, `artifact_depends.${key}`);
  }
  return {
    payloadTypes: payloadTypes(json.payloads, where, 'payloads'),
    name,
    group: provides.artifact_group ?? null,
    deviceTypes,
    provides,
    depends,
  };
}

function applyTypeInfo(payload: PayloadHeader, bytes: Buffer, format: 2 | 3, where: string): void {
  const json = parseJsonObject(bytes, where);
  if (json.type !== undefined && json.type !== null && typeof json.type !== 'string') throw bad(where, '"type" must be a string');
  payload.type = typeof json.type === 'string' && json.type !== '' ? json.type : null;
  if (format === 3) {
    payload.provides = stringMap(json.artifact_provides, where, 'artifact_provides');
    payload.depends = dependsMap(json.artifact_depends, where, 'artifact_depends');
    payload.clearsProvides = json.clears_artifact_provides === undefined || json.clears_artifact_provides === null
      ? []
      : stringList(json.clears_artifact_provides, where, 'clears_artifact_provides');
  }
}

function parseFiles(bytes: Buffer, where: string): string[] {
  const json = parseJsonObject(bytes, where);
  const files = stringList(json.files, where, 'files');
  if (new Set(files).size !== files.length) throw bad(where, 'a file is listed twice');
  return files;
}

function emptyPayload(): PayloadHeader {
  return { type: null, provides: {}, depends: {}, clearsProvides: [], metaData: null, files: null };
}

/** Parses an uncompressed header tar. `member` names it in messages (e.g. `header.tar.gz`). */
export async function parseHeaderTar(expanded: Buffer, format: 2 | 3, member: string): Promise<ParsedHeader> {
  let info: HeaderInfo | null = null;
  const scripts: string[] = [];
  const payloads: PayloadHeader[] = [];
  let lastRank = -1; // rank of the last entry within the current payload folder
  let entries = 0;

  for await (const entry of tarEntries([expanded], member)) {
    const where = `${member}: ${shorten(entry.name)}`;
    if (++entries > LIMITS.headerEntries) throw new UpdaterError('ARTIFACT_TOO_LARGE', `${member}: more than ${LIMITS.headerEntries} entries`);
    if (entry.size > LIMITS.headerEntryBytes) throw new UpdaterError('ARTIFACT_TOO_LARGE', `${where}: ${entry.size} bytes, over the ${LIMITS.headerEntryBytes}-byte limit`);

    if (entry.name === 'header-info') {
      if (info) throw new UpdaterError('ARTIFACT_DUPLICATE_MEMBER', `${where}: appears twice`);
      if (entries !== 1) throw new UpdaterError('ARTIFACT_BAD_ORDER', `${where}: must be the first entry`);
      info = parseHeaderInfo(await readAll(entry.body, LIMITS.headerEntryBytes, where), format, where);
      continue;
    }
    if (!info) throw new UpdaterError('ARTIFACT_BAD_ORDER', `${where}: header-info must come first`);

    if (entry.name.startsWith('scripts/')) {
      const script = entry.name.slice('scripts/'.length);
      if (!SCRIPT_NAME.test(script) || script.length > LIMITS.nameLength) throw bad(where, 'not a valid state script name (State_Action_NN[_description])');
      if (payloads.length > 0) throw new UpdaterError('ARTIFACT_BAD_ORDER', `${where}: state scripts must come before the payload headers`);
      if (scripts.includes(script)) throw new UpdaterError('ARTIFACT_DUPLICATE_MEMBER', `${where}: appears twice`);
      scripts.push(script);
      continue;
    }

    const match = PAYLOAD_ENTRY.exec(entry.name);
    if (!match) throw new UpdaterError('ARTIFACT_UNKNOWN_MEMBER', `${where}: not an entry a Mender header may hold`);
    const index = Number(match[1]);
    const kind = match[2] as keyof typeof PAYLOAD_ENTRY_RANK;
    const rank = PAYLOAD_ENTRY_RANK[kind];
    if (index === payloads.length) {
      payloads.push(emptyPayload());
      lastRank = -1;
    } else if (index !== payloads.length - 1) {
      throw new UpdaterError('ARTIFACT_BAD_ORDER', `${where}: payload folders must be numbered 0000, 0001, … in order`);
    }
    if (rank === lastRank) throw new UpdaterError('ARTIFACT_DUPLICATE_MEMBER', `${where}: appears twice`);
    if (rank < lastRank) throw new UpdaterError('ARTIFACT_BAD_ORDER', `${where}: out of order (files, type-info, meta-data)`);
    lastRank = rank;

    const payload = payloads[index] as PayloadHeader;
    const bytes = await readAll(entry.body, LIMITS.headerEntryBytes, where);
    if (kind === 'type-info') applyTypeInfo(payload, bytes, format, where);
    else if (kind === 'files') {
      if (format !== 2) throw new UpdaterError('ARTIFACT_UNKNOWN_MEMBER', `${where}: only format 2 headers list files`);
      payload.files = parseFiles(bytes, where);
    } else payload.metaData = bytes.length === 0 ? null : parseJsonObject(bytes, where, META_DATA);
  }

  if (!info) throw new UpdaterError('ARTIFACT_MISSING_MEMBER', `${member}: has no header-info`);
  return { info, scripts, payloads };
}
