// An artifact as the stick search reads it, on a fake stick: its open file (ReadFile) and its
// manifest's SHA-256, what deploy() is given for it. For the unit tests of the install.

import assert from 'node:assert/strict';
import { collectCandidates, type ReadFile } from '../../../src/media/index.js';
import { configSchema, pathRule } from '../../../src/policy/index.js';
import { fakeStick } from './fake-stick-fs.js';

export async function checkedFile(bytes: Uint8Array, name = 'a.mender'): Promise<{ file: ReadFile; manifestSha256: string }> {
  const { search } = configSchema.parse({ signature: { required: false } });
  const { files, candidates } = await collectCandidates(['/s'], fakeStick('/s', { [name]: Buffer.from(bytes) }), { rule: pathRule(search), maxDepth: 1, maxEntries: 10, keys: [], signal: new AbortController().signal });
  const [read] = candidates;
  assert.ok(read?.status === 'read', `${name}: not read as an artifact`);
  const file = files.get(`/s/${name}`);
  assert.ok(file);
  return { file, manifestSha256: read.info.manifest_sha256 };
}
