// Cross-check with the real tool: regenerate every fixture with the live mender-artifact (fresh
// keys, fresh payloads) and require `inspect --verify --json` to agree field by field with what
// `mender-artifact read` prints for the same file.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, needsTool } from '../support/skip/fixtures.js';
import { parseMenderRead, type MenderRead } from '../support/artifacts/mender-read.js';
import { runCli } from '../support/harness/run-cli.js';

interface InspectJson {
  format_version: number;
  name: string;
  group: string | null;
  device_types: string[];
  artifact_depends: Record<string, string[] | undefined>;
  signed: boolean;
  signature_verified: boolean | null;
  state_scripts: string[];
  payloads: Array<{
    type: string;
    artifact_provides: Record<string, string>;
    artifact_depends: Record<string, string | string[]>;
    clears_artifact_provides: string[];
    meta_data: unknown;
    files: Array<{ name: string; size: number; checksum: string }>;
  }>;
}

const skip = needsTool('mender-artifact', 'mender-artifact');

function keyFor(file: string, keys: string): string | null {
  if (file.includes('-rsa')) return `${keys}/rsa3072.pub`;
  if (file.includes('-ec')) return `${keys}/ec-p256.pub`;
  return null;
}

function signatureOf(ours: InspectJson): string {
  if (!ours.signed) return 'no signature';
  return ours.signature_verified ? 'signed and verified correctly' : 'signed but no key for verification provided';
}

function compare(theirs: MenderRead, ours: InspectJson): void {
  assert.equal(ours.name, theirs.name);
  assert.equal(ours.format_version, theirs.version);
  assert.ok(theirs.signature.startsWith(signatureOf(ours)), `signature: theirs "${theirs.signature}"`);
  assert.deepEqual(ours.device_types, theirs.devices);
  if (theirs.version === 3) {
    assert.equal(ours.group, theirs.group);
    assert.deepEqual(ours.artifact_depends.artifact_name ?? [], theirs.dependsArtifacts);
    assert.deepEqual(ours.artifact_depends.artifact_group ?? [], theirs.dependsGroups);
  }
  assert.deepEqual([...ours.state_scripts].sort(), [...theirs.scripts].sort());
  assert.equal(ours.payloads.length, theirs.payloads.length);
  ours.payloads.forEach((payload, i) => {
    const their = theirs.payloads[i];
    assert.ok(their);
    assert.equal(payload.type, their.type);
    assert.deepEqual(payload.artifact_provides, their.provides);
    const depends = Object.fromEntries(Object.entries(payload.artifact_depends).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : v]));
    assert.deepEqual(depends, their.depends);
    assert.deepEqual(payload.clears_artifact_provides, their.clears);
    assert.deepEqual(payload.meta_data, their.metadata);
    const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
    assert.deepEqual(payload.files.map(({ name, size, checksum }) => ({ name, size, checksum })).sort(byName), [...their.files].sort(byName));
  });
}

describe('inspect agrees with mender-artifact read', { skip }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(`${tmpdir()}/usb-updater-parity-`);
    execFileSync('bash', [`${FIXTURES}make-fixtures.sh`, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('on every regenerated fixture, with and without the signing key', async () => {
    const files = readdirSync(`${dir}/artifacts`).filter((f) => f.endsWith('.mender'));
    assert.ok(files.length >= 8, `only ${files.length} artifacts were made`);
    for (const file of files) {
      const path = `${dir}/artifacts/${file}`;
      const key = keyFor(file, `${dir}/keys`);
      for (const withKey of key ? [false, true] : [false]) {
        const keyArgs = withKey && key ? ['-k', key] : [];
        const text = execFileSync('mender-artifact', ['read', ...keyArgs, path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        const ours = await runCli(['inspect', '--verify', '--json', ...keyArgs, path]);
        assert.equal(ours.code, 0, `${file}: ${ours.stderr}`);
        try {
          compare(parseMenderRead(text), JSON.parse(ours.stdout) as InspectJson);
        } catch (err) {
          throw new Error(`${file}${withKey ? ' with key' : ''}: ${(err as Error).message}`, { cause: err });
        }
      }
    }
  });

  it('rejects what mender-artifact validate rejects: a wrong key', async () => {
    const path = `${dir}/artifacts/rootfs-gzip-rsa.mender`;
    const other = `${dir}/keys/rsa2048-other.pub`;
    assert.throws(() => execFileSync('mender-artifact', ['validate', '-k', other, path], { stdio: 'ignore' }));
    assert.equal((await runCli(['inspect', '-k', other, path])).code, 1);
  });
});
