// Structure-aware mutations: they know the artifact (outer tar: version, manifest, manifest.sig,
// header.tar[.gz], data/NNNN.tar[.gz]; inner header tar: header-info, headers/NNNN/type-info and
// meta-data JSON) and the config YAML, and make what byte flips almost never do: JSON nested
// thousands deep but valid, names of hundreds of KB, numbers at the edges, tar members of every
// type, catastrophic patterns. An artifact is rebuilt with its manifest digests repaired, so the
// reader gets past its checks to the parsed header (the signature then no longer verifies).

import { gunzipSync, gzipSync } from 'node:zlib';
import { isMap, parseDocument } from 'yaml';
import { repairArtifact } from './artifact-repair.js';
import type { Random } from './mutate.js';
import { paxRecords, parseTar, TAR_TYPES, writeTar, type TarMember, type TarType } from './tar-write.js';

/** A structure-aware mutation: a new input, or null when it does not apply to this one. */
export type StructuredMutator = (input: Buffer, random: Random) => Buffer | null;

// --- generators (also what the unit tests check) ---

/** Valid JSON nested `depth` levels: objects, arrays, or both in turn. */
export function deepJson(depth: number, kind: 'object' | 'array' | 'mixed'): string {
  const open = (i: number): string => (kind === 'array' || (kind === 'mixed' && i % 2 === 1) ? '[' : '{"a":');
  const close = (i: number): string => (kind === 'array' || (kind === 'mixed' && i % 2 === 1) ? ']' : '}');
  const opens: string[] = [];
  const closes: string[] = [];
  for (let i = 0; i < depth; i += 1) {
    opens.push(open(i));
    closes.push(close(depth - 1 - i));
  }
  return `${opens.join('')}1${closes.join('')}`;
}

/** YAML nested `depth` levels, in flow style (`[[…]]`) or block style (indented maps). */
export function deepYaml(depth: number, style: 'flow' | 'block'): string {
  if (style === 'flow') return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  // Block style indents one more space per level (the first under the key the caller writes before
  // it): past a few hundred levels it is mostly spaces.
  const lines: string[] = [];
  for (let i = 0; i < depth; i += 1) lines.push(`${' '.repeat(i + 1)}a:`);
  return `\n${lines.join('\n')} 1`;
}

/** Runs that make backtracking matchers work hard: one filler repeated, then a char that breaks the match. */
const FILLERS = ['a', '1.', '1a', '-', 'a-', '0', '1', '.', 'x.1', '9-'];
const BREAKERS = ['!', 'x', '', '-', '.', '\u202e'];
/** Lengths from "exponential already" (tens) to "quadratic shows" (hundreds of KB). */
export const NAME_LENGTHS = [8, 16, 24, 28, 32, 256, 4096, 32 * 1024, 100 * 1024, 400 * 1024, 900 * 1024];

/** A string of exactly `length` characters (UTF-16 units) of `filler` repeated, ended by `breaker`. */
export function longString(length: number, filler: string, breaker: string): string {
  const body = filler.repeat(Math.ceil(length / filler.length)).slice(0, Math.max(0, length - breaker.length));
  return `${body}${breaker}`.slice(0, length);
}

export const randomLongString = (random: Random): string => longString(random.pick(NAME_LENGTHS), random.pick(FILLERS), random.pick(BREAKERS));

/** Numbers at the edges, as JSON/YAML source text (some are not valid JSON: the parser must say so). */
export const EDGE_NUMBERS = [
  '0', '-0', '-1', '1e308', '-1e308', '1e309', '5e-324', '1e-400', '9007199254740991', '9007199254740993', '4294967295', '4294967296',
  '18446744073709551616', '0.1', '1.7976931348623157e308', 'NaN', 'Infinity', '-Infinity', '1E+2', '00', '0x10',
];

// --- JSON edits (on one header JSON document) ---

type JsonEdit = (json: string, random: Random) => string | null;

export const DEPTHS = [64, 512, 2000, 4000, 8000, 30_000];

/** Paths of every value in a parsed JSON document (shallow documents only: headers as written). */
function valuePaths(value: unknown, path: Array<string | number> = [], into: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (path.length > 16) return into;
  into.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => valuePaths(v, [...path, i], into));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) valuePaths(v, [...path, k], into);
  return into;
}

/** The document with the value at a random path replaced by raw JSON text `raw`. */
function replaceValue(json: string, random: Random, raw: string): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return null;
  }
  const paths = valuePaths(doc).filter((p) => p.length > 0);
  if (paths.length === 0) return null;
  const path = random.pick(paths);
  const marker = '\u0000FUZZ-MARK\u0000';
  let parent = doc as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path.at(-1) as string | number] = marker;
  return JSON.stringify(doc).replace(JSON.stringify(marker), () => raw);
}

const JSON_EDITS: Record<string, JsonEdit> = {
  deepValue: (json, random) => replaceValue(json, random, deepJson(random.pick(DEPTHS), random.pick(['object', 'array', 'mixed'] as const))),
  longString: (json, random) => replaceValue(json, random, JSON.stringify(randomLongString(random))),
  edgeNumber: (json, random) => replaceValue(json, random, random.pick(EDGE_NUMBERS)),
  /** The artifact's name itself (v3: artifact_provides.artifact_name; v2: artifact_name). */
  longName(json, random) {
    let doc: { artifact_name?: unknown; artifact_provides?: Record<string, unknown> };
    try {
      doc = JSON.parse(json) as typeof doc;
    } catch {
      return null;
    }
    const name = randomLongString(random);
    if (doc.artifact_provides !== null && typeof doc.artifact_provides === 'object') doc.artifact_provides['artifact_name'] = name;
    else if ('artifact_name' in doc) doc.artifact_name = name;
    else return null;
    return JSON.stringify(doc);
  },
};

// --- tar edits (on the members of one tar) ---

type TarEdit = (members: TarMember[], random: Random) => TarMember[] | null;

const LONG_MEMBER_NAMES = [101, 155, 256, 1024, 4096, 70_000];

export function memberOfType(type: TarType, name: string, random: Random): TarMember[] {
  const flag = TAR_TYPES[type];
  switch (type) {
    case 'symlink':
    case 'hardlink':
      return [{ name, flag, data: Buffer.alloc(0), linkname: random.pick(['../../etc/passwd', '/dev/zero', name, 'header-info', 'x'.repeat(100)]) }];
    case 'pax':
    case 'pax-global':
      return [{ name: 'PaxHeader', flag, data: paxRecords(random.pick([{ path: name }, { size: random.pick(EDGE_NUMBERS) }, { path: 'a'.repeat(random.pick(LONG_MEMBER_NAMES)) }, { linkpath: '/', mtime: '1e308' }])) }, { name, flag: '0', data: Buffer.from('{}') }];
    case 'gnu-longname':
    case 'gnu-longlink':
      return [{ name: '././@LongLink', flag, data: Buffer.from(`${random.chance(2) ? name : 'b'.repeat(random.pick(LONG_MEMBER_NAMES))}\0`) }, { name, flag: '0', data: Buffer.from('{}') }];
    case 'gnu-sparse':
      return [{ name, flag, data: Buffer.alloc(512), declaredSize: random.chance(2) ? 512n : 2n ** 40n }];
    default:
      return [{ name, flag, data: type === 'file' || type === 'contiguous' ? Buffer.from('{}') : Buffer.alloc(0) }];
  }
}

const TAR_EDITS: Record<string, TarEdit> = {
  /** A member of any type, named like a real one or new, inserted anywhere. */
  insertMember(members, random) {
    const type = random.pick(Object.keys(TAR_TYPES) as TarType[]);
    const name = random.chance(2) && members.length > 0 ? random.pick(members).name : random.pick(['headers/0000/files', 'scripts/ArtifactInstall_Enter_00', 'rootfs.img', 'x', '../evil', '/abs']);
    const at = random.below(members.length + 1);
    return [...members.slice(0, at), ...memberOfType(type, name, random), ...members.slice(at)];
  },
  /** A real member's type changed (meta-data as a FIFO, header-info as a symlink…). */
  retypeMember(members, random) {
    if (members.length === 0) return null;
    const at = random.below(members.length);
    const flag = random.pick(Object.values(TAR_TYPES));
    return members.map((m, i) => (i === at ? { ...m, flag } : m));
  },
  /** A real member's name made long: as written (cut at 100), or through a GNU or pax long-name record. */
  longMemberName(members, random) {
    if (members.length === 0) return null;
    const at = random.below(members.length);
    const target = members[at] as TarMember;
    const long = `${target.name}/${'n'.repeat(random.pick(LONG_MEMBER_NAMES))}`;
    const how = random.below(3);
    const before: TarMember[] = how === 0 ? [] : how === 1 ? [{ name: '././@LongLink', flag: 'L', data: Buffer.from(`${long}\0`) }] : [{ name: 'PaxHeader', flag: 'x', data: paxRecords({ path: long }) }];
    return [...members.slice(0, at), ...before, { ...target, name: how === 0 ? long : target.name }, ...members.slice(at + 1)];
  },
  /** A size at the edges in one member's header (the data stays as it was). */
  hugeSize(members, random) {
    if (members.length === 0) return null;
    const at = random.below(members.length);
    const size = random.pick([8n ** 11n - 1n, 8n ** 11n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n, -1n, 0n]);
    return members.map((m, i) => (i === at ? { ...m, declaredSize: size } : m));
  },
};

// --- the artifact, rebuilt ---

const HEADER_MEMBER = /^header(-augment)?\.tar(\.gz)?$/;
const DATA_MEMBER = /^data\/\d{4}\.tar(\.gz)?$/;
const JSON_MEMBER = /^(header-info|headers\/\d{4}\/(type-info|meta-data))$/;

const unpack = (name: string, data: Buffer): Buffer | null => {
  try {
    return name.endsWith('.gz') ? gunzipSync(data) : data;
  } catch {
    return null;
  }
};
const pack = (name: string, tar: Buffer): Buffer => (name.endsWith('.gz') ? gzipSync(tar) : tar);

/** The artifact with one inner tar (a header's or a payload's) changed by `edit`, digests repaired. */
function editInnerTar(input: Buffer, pick: RegExp, edit: (members: TarMember[]) => TarMember[] | null, random: Random): Buffer | null {
  const outer = parseTar(input);
  if (outer === null) return null;
  const candidates = outer.map((m, i) => ({ m, i })).filter(({ m }) => pick.test(m.name));
  if (candidates.length === 0) return null;
  const { m, i } = random.pick(candidates);
  const tar = unpack(m.name, m.data);
  const members = tar === null ? null : parseTar(tar);
  const edited = members === null ? null : edit(members);
  if (edited === null) return null;
  const rebuilt = outer.map((o, j) => (j === i ? { ...o, data: pack(m.name, writeTar(edited)) } : o));
  const artifact = writeTar(rebuilt);
  return repairArtifact(artifact) ?? artifact;
}

function jsonEditMutator(edit: JsonEdit, member: RegExp): StructuredMutator {
  return (input, random) =>
    editInnerTar(input, HEADER_MEMBER, (members) => {
      const targets = members.map((m, i) => ({ m, i })).filter(({ m }) => member.test(m.name));
      if (targets.length === 0) return null;
      const { m, i } = random.pick(targets);
      // An empty meta-data is valid (no meta-data): edit it as the empty object.
      const edited = edit(m.data.length === 0 ? '{}' : m.data.toString('utf8'), random);
      return edited === null ? null : members.map((x, j) => (j === i ? { ...x, data: Buffer.from(edited) } : x));
    }, random);
}

function tarEditMutator(edit: TarEdit): StructuredMutator {
  return (input, random) => {
    const where = random.below(3);
    if (where === 0) {
      const outer = parseTar(input);
      const edited = outer === null ? null : edit(outer, random);
      if (edited === null) return null;
      const artifact = writeTar(edited);
      return repairArtifact(artifact) ?? artifact;
    }
    return editInnerTar(input, where === 1 ? HEADER_MEMBER : DATA_MEMBER, (members) => edit(members, random), random);
  };
}

/** The artifact mutations, by name (names for the tests and the statistics). */
export const ARTIFACT_MUTATORS: Record<string, StructuredMutator> = {
  // The whole meta-data document nested deep (it must be an object: the top level stays one).
  deepMetaData: jsonEditMutator((_json, random) => deepJson(random.pick(DEPTHS), random.chance(3) ? 'mixed' : 'object'), /^headers\/\d{4}\/meta-data$/),
  deepHeaderValue: jsonEditMutator(JSON_EDITS['deepValue'] as JsonEdit, JSON_MEMBER),
  longHeaderString: jsonEditMutator(JSON_EDITS['longString'] as JsonEdit, JSON_MEMBER),
  longArtifactName: jsonEditMutator(JSON_EDITS['longName'] as JsonEdit, /^header-info$/),
  edgeNumber: jsonEditMutator(JSON_EDITS['edgeNumber'] as JsonEdit, JSON_MEMBER),
  insertMember: tarEditMutator(TAR_EDITS['insertMember'] as TarEdit),
  retypeMember: tarEditMutator(TAR_EDITS['retypeMember'] as TarEdit),
  longMemberName: tarEditMutator(TAR_EDITS['longMemberName'] as TarEdit),
  hugeSize: tarEditMutator(TAR_EDITS['hugeSize'] as TarEdit),
};

// --- the config ---

/** Patterns that backtrack exponentially or polynomially on the right name, and globs that do. */
export const CATASTROPHIC_PATTERNS = ['^(a+)+$', '(?<version>(a|a)*)$', '^(\\d+\\.?)+$', '(?<version>(.*a){12})', '^(a|aa)+$', '(?<version>(\\d+)*)x$', '(?<version>([\\w.-]+)+)!$'];
export const CATASTROPHIC_GLOBS = ['*-*-*-*-rc', '*a*a*a*a*b', '*.*.*.*.*x', '?*?*?*?*!', '*1*1*1*1*1*z'];

type ConfigEdit = (doc: ReturnType<typeof parseDocument>, random: Random) => string | null;

function configEditMutator(edit: ConfigEdit): StructuredMutator {
  return (input, random) => {
    const doc = parseDocument(input.toString('utf8'));
    if (doc.errors.length > 0 || !isMap(doc.contents)) return null;
    const text = edit(doc, random);
    return text === null ? null : Buffer.from(text);
  };
}

export const CONFIG_MUTATORS: Record<string, StructuredMutator> = {
  catastrophicPattern: configEditMutator((doc, random) => {
    doc.setIn(['versioning', 'pattern'], random.pick(CATASTROPHIC_PATTERNS));
    if (random.chance(2)) doc.setIn(['versioning', 'source'], 'name');
    return doc.toString();
  }),
  catastrophicGlob: configEditMutator((doc, random) => {
    doc.setIn(['artifacts', random.chance(3) ? 'deny' : 'allow'], [random.pick(CATASTROPHIC_GLOBS)]);
    return doc.toString();
  }),
  deepYaml: configEditMutator((doc, random) => `${doc.toString()}${random.pick(['x', 'deep', 'zz'])}: ${random.chance(2) ? deepYaml(random.pick(DEPTHS), 'flow') : deepYaml(random.pick([16, 64, 150]), 'block')}\n`),
  longScalar: configEditMutator((doc, random) => {
    const keys: string[][] = [['artifacts', 'allow'], ['versioning', 'provide'], ['device', 'device_type_file'], ['versioning', 'pattern']];
    doc.setIn(random.pick(keys), randomLongString(random).slice(0, 64 * 1024));
    return doc.toString();
  }),
  edgeNumber: configEditMutator((doc, random) => {
    const keys: string[][] = [['artifacts', 'max_size'], ['search', 'max_depth'], ['search', 'max_entries'], ['search', 'timeout'], ['version']];
    const marker = 'FUZZMARKFUZZ';
    doc.setIn(random.pick(keys), marker);
    return doc.toString().replace(marker, random.pick([...EDGE_NUMBERS, '.nan', '.inf', '-.inf', '0o17', '1e309b']));
  }),
};
