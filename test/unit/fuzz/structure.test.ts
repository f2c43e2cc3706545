// The structure-aware mutations make what they claim: JSON and YAML nested N deep, strings of N
// characters, tars with members of each type that an independent reader (tar-stream) reads as that
// type, and artifacts rebuilt so that the real reader gets past the manifest to the mutated header.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import { readArtifact } from '../../../src/artifact/index.js';
import { HEADER } from '../../fuzz/artifact-target.js';
import { Random } from '../../fuzz/mutate.js';
import { sameJsonValue } from '../../fuzz/oracle.js';
import {
  ARTIFACT_MUTATORS, CATASTROPHIC_GLOBS, CATASTROPHIC_PATTERNS, CONFIG_MUTATORS, deepJson, deepYaml, DEPTHS, longString, memberOfType, NAME_LENGTHS,
  type StructuredMutator,
} from '../../fuzz/structure.js';
import { paxRecords, parseTar, TAR_TYPES, writeTar, type TarType } from '../../fuzz/tar-write.js';
import { artifact, REPO } from '../../support/skip/fixtures.js';

/** The deepest bracket nesting of JSON or flow YAML text (strings skipped), counted without recursion. */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, (depth += 1));
    else if (c === '}' || c === ']') depth -= 1;
  }
  assert.equal(depth, 0, 'brackets do not balance');
  return max;
}

/** The first non-null child of `mutator` on `input`, from successive seeds. */
function firstChild(mutator: StructuredMutator, input: Buffer, seed = 1): { child: Buffer; seed: number } {
  for (let s = seed; s < seed + 200; s += 1) {
    const child = mutator(input, new Random(s));
    if (child !== null) return { child, seed: s };
  }
  return assert.fail('the mutator never applied in 200 tries');
}

/** The members of the artifact's (gzip) header tar. */
function headerMembers(artifactBytes: Buffer): Map<string, Buffer> {
  const outer = parseTar(artifactBytes) ?? assert.fail('not a tar');
  const header = outer.find((m) => m.name === 'header.tar.gz') ?? assert.fail('no header.tar.gz');
  return new Map((parseTar(gunzipSync(header.data)) ?? assert.fail('header is not a tar')).map((m) => [m.name, m.data]));
}

/** Every entry tar-stream (an independent reader) finds in `buf`: name, type, link name, size. */
async function entriesOf(buf: Buffer): Promise<Array<{ name: string; type: string; linkname: string | null; size: number }>> {
  const extract = tar.extract();
  const found: Array<{ name: string; type: string; linkname: string | null; size: number }> = [];
  extract.on('entry', (header, stream, next) => {
    found.push({ name: header.name, type: header.type ?? 'file', linkname: header.linkname ?? null, size: header.size ?? 0 });
    stream.on('end', next);
    stream.resume();
  });
  const done = new Promise<void>((resolve, reject) => extract.on('finish', () => resolve()).on('error', reject));
  Readable.from([buf]).pipe(extract);
  await done;
  return found;
}

const UNSIGNED = artifact('rootfs-gzip-unsigned.mender');

describe('generators', () => {
  it('deepJson is valid JSON nested exactly N deep, for each kind', () => {
    for (const kind of ['object', 'array', 'mixed'] as const) {
      for (const depth of [1, 2, 64, 5000]) {
        const text = deepJson(depth, kind);
        assert.equal(nesting(text), depth, `${kind} ${depth}`);
        assert.doesNotThrow(() => JSON.parse(text), `${kind} ${depth}`);
        if (kind !== 'array') assert.ok(text.startsWith('{'), 'the top level is an object, as meta-data must be');
      }
    }
  });

  it('the oracle compares values nested deeper than the stack goes (no recursion)', () => {
    const deep = (): unknown => JSON.parse(deepJson(100_000, 'mixed'));
    assert.equal(sameJsonValue(deep(), deep()), true);
    assert.equal(sameJsonValue(deep(), JSON.parse(deepJson(100_000, 'mixed').replace('1', '2'))), false);
    assert.equal(sameJsonValue({ a: [1, { b: null }] }, { a: [1, { b: null }] }), true);
    assert.equal(sameJsonValue({ a: [1] }, { a: { 0: 1 } }), false, 'an array is not an object with the same keys');
    assert.equal(sameJsonValue({ a: 1 }, { a: 1, b: undefined }), false);
  });

  it('deepYaml is YAML nested exactly N deep, flow and block', () => {
    assert.equal(nesting(deepYaml(3000, 'flow')), 3000);
    let value: unknown = parseYaml(`x: ${deepYaml(40, 'block')}`);
    let depth = 0;
    while (value !== null && typeof value === 'object') {
      value = Object.values(value)[0];
      depth += 1;
    }
    assert.equal(depth, 41, 'x plus 40 levels');
    assert.equal(value, 1);
  });

  it('longString has exactly the length asked, of the filler, ended by the breaker', () => {
    for (const length of [1, 7, 28, 100 * 1024]) {
      const text = longString(length, '1.', '!');
      assert.equal(text.length, length);
      if (length > 1) assert.match(text, /^(1\.)*1?\.?!$/);
    }
  });
});

describe('tar members of every type', () => {
  const EXPECTED: Partial<Record<TarType, string>> = {
    file: 'file', hardlink: 'link', symlink: 'symlink', char: 'character-device', block: 'block-device', directory: 'directory', fifo: 'fifo', contiguous: 'contiguous-file',
  };
  for (const type of Object.keys(TAR_TYPES) as TarType[]) {
    it(`${type}: a valid tar whose member tar-stream reads as ${EXPECTED[type] ?? 'what the record names'}`, async () => {
      const members = memberOfType(type, 'headers/0000/meta-data', new Random(7));
      const written = writeTar(members);
      assert.equal(written.length % 512, 0);
      assert.equal(written.toString('latin1', 156, 157), TAR_TYPES[type], 'the type flag as written');
      if (type === 'gnu-sparse') return; // tar-stream does not read sparse files; the flag is checked above
      const entries = await entriesOf(written);
      const expected = EXPECTED[type];
      if (expected !== undefined) {
        assert.equal(entries[0]?.type, expected);
        if (type === 'symlink' || type === 'hardlink') assert.ok(entries[0]?.linkname, 'a link has its target');
      } else if (type === 'gnu-longname' || type === 'gnu-longlink' || type === 'pax' || type === 'pax-global') {
        // The extension record applies to the member after it: tar-stream yields that member.
        assert.ok(entries.length >= 1, `${type}: no member after the record`);
      }
    });
  }

  it('a pax path and a GNU long name rename the next member to a name past 100 bytes', async () => {
    const long = `headers/0000/${'n'.repeat(300)}`;
    const viaGnu = writeTar([{ name: '././@LongLink', flag: 'L', data: Buffer.from(`${long}\0`) }, { name: 'short', flag: '0', data: Buffer.from('{}') }]);
    const viaPax = writeTar([{ name: 'PaxHeader', flag: 'x', data: paxRecords({ path: long }) }, { name: 'short', flag: '0', data: Buffer.from('{}') }]);
    for (const buf of [viaGnu, viaPax]) assert.deepEqual((await entriesOf(buf)).map((e) => e.name), [long]);
  });

  it('a huge size is written in base-256', () => {
    const written = writeTar([{ name: 'x', flag: '0', data: Buffer.alloc(0), declaredSize: 2n ** 53n + 1n }]);
    assert.equal(written[124], 0x80);
    assert.equal(written.readBigUInt64BE(128), 2n ** 53n + 1n);
    assert.equal(parseTar(written), null, 'our own reader refuses it (not one we could read back)');
  });
});

describe('artifact mutations', () => {
  it('deepMetaData: meta-data nested as deep as the mutator says, and the reader gets past the manifest to it', async () => {
    const { child } = firstChild(ARTIFACT_MUTATORS['deepMetaData'] as StructuredMutator, UNSIGNED);
    const meta = headerMembers(child).get('headers/0000/meta-data') ?? assert.fail('no meta-data');
    const depth = nesting(meta.toString());
    assert.ok(DEPTHS.includes(depth), `depth ${depth}`);
    // The reader parses it (the digests were repaired): the depth is what the consumers then meet.
    if (depth <= 512) {
      const info = await readArtifact([child], HEADER);
      assert.equal(nesting(JSON.stringify(info.payloads[0]?.meta_data)), depth);
    }
  });

  it('longArtifactName: the name is a crafted one of a listed length; the reader reads it, or refuses it past its name bound', async () => {
    for (let seed = 1, checked = 0; checked < 3; seed += 1) {
      const child = (ARTIFACT_MUTATORS['longArtifactName'] as StructuredMutator)(UNSIGNED, new Random(seed));
      if (child === null) continue;
      const name = ((JSON.parse(headerMembers(child).get('header-info')?.toString() ?? '{}') as { artifact_provides?: { artifact_name?: string } }).artifact_provides?.artifact_name) ?? '';
      assert.ok(NAME_LENGTHS.includes(name.length), `length ${name.length}`);
      // Issue 15: names past the reader's string bound are refused at the parser.
      if (name.length > 1024) await assert.rejects(readArtifact([child], HEADER), { code: 'ARTIFACT_TOO_LARGE' });
      else assert.equal((await readArtifact([child], HEADER)).name, name);
      checked += 1;
    }
  });

  it('insertMember, retypeMember, longMemberName and hugeSize give a tar (outer and inner) that still walks', () => {
    for (const name of ['insertMember', 'retypeMember', 'longMemberName', 'hugeSize']) {
      const { child } = firstChild(ARTIFACT_MUTATORS[name] as StructuredMutator, UNSIGNED);
      assert.notDeepEqual(child, UNSIGNED, name);
      assert.equal(child.length % 512, 0, `${name}: whole tar blocks`);
    }
  });

  it('edgeNumber and longHeaderString change one header JSON document', () => {
    for (const name of ['edgeNumber', 'longHeaderString', 'deepHeaderValue']) {
      const { child } = firstChild(ARTIFACT_MUTATORS[name] as StructuredMutator, UNSIGNED);
      const before = headerMembers(UNSIGNED);
      const after = headerMembers(child);
      const changed = [...after].filter(([member, data]) => !before.get(member)?.equals(data)).map(([member]) => member);
      assert.equal(changed.length, 1, `${name}: ${changed.join(', ')}`);
    }
  });
});

describe('config mutations', () => {
  const CONFIG = readFileSync(`${REPO}config/config.yaml`);
  const parsed = (child: Buffer): Record<string, Record<string, unknown>> => parseYaml(child.toString()) as Record<string, Record<string, unknown>>;

  it('catastrophicPattern sets versioning.pattern to one of the listed patterns', () => {
    const { child } = firstChild(CONFIG_MUTATORS['catastrophicPattern'] as StructuredMutator, CONFIG);
    assert.ok(CATASTROPHIC_PATTERNS.includes(parsed(child)['versioning']?.['pattern'] as string));
  });

  it('catastrophicGlob sets artifacts.allow or deny to one of the listed globs', () => {
    const { child } = firstChild(CONFIG_MUTATORS['catastrophicGlob'] as StructuredMutator, CONFIG);
    const artifacts = parsed(child)['artifacts'] as { allow: string[]; deny: string[] };
    assert.ok([...artifacts.allow, ...artifacts.deny].some((glob) => CATASTROPHIC_GLOBS.includes(glob)));
  });

  it('deepYaml appends a value nested deep, the rest of the config unchanged', () => {
    const { child } = firstChild(CONFIG_MUTATORS['deepYaml'] as StructuredMutator, CONFIG);
    assert.ok(child.toString().length > CONFIG.length);
    assert.equal(parsed(child)['versioning']?.['scheme'], 'dotted');
  });
});
