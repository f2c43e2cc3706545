// Proves the mender-device harness against the real client: every expectation below is the verdict
// `mender install` (client 3.4) gives on a throw-away device, for artifacts written on the fly by the
// real mender-artifact. The table doubles as the record of the client's acceptance rules.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forgeArtifact } from '../support/artifacts/forge.js';
import { clientAccepts, needsMenderDevice, type ClientVerdict, type DeviceFacts } from '../support/artifacts/mender-device.js';
import { writeSingleFileArtifact, type SingleFileArtifactSpec } from '../support/artifacts/single-file-artifact.js';

const skip = needsMenderDevice();

const DEVICE: DeviceFacts = {
  deviceType: 'dev-a',
  provides: { artifact_name: 'factory-1', artifact_group: 'grp-a', 'rootfs-image.version': '1.2', 'custom.key': 'v1' },
};
const NO_GROUP: DeviceFacts = { deviceType: 'dev-a', provides: { artifact_name: 'factory-1', 'custom.key': 'v1' } };

type Spec = Omit<SingleFileArtifactSpec, 'output' | 'destDir' | 'name'>;

interface Case {
  title: string;
  spec: Spec;
  facts?: DeviceFacts;
  /** 'accepted', or the reason the client rejects it. */
  expect: 'accepted' | 'device-type' | 'depends';
  message?: RegExp;
}

const dependency = (key: string, detail: string): RegExp =>
  new RegExp(`^Artifact dependency "${key.replace(/\./g, '\\.')}" not satisfied by currently installed artifact \\(${detail}\\)\\.$`);

const CASES: Case[] = [
  { title: 'device type matches', spec: { deviceTypes: ['dev-a'] }, expect: 'accepted' },
  {
    title: 'device type differs',
    spec: { deviceTypes: ['dev-b'] },
    expect: 'device-type',
    message: /image \(device types \[dev-b\]\) not compatible with device dev-a$/,
  },
  { title: 'one of several device types matches', spec: { deviceTypes: ['dev-b', 'dev-a'] }, expect: 'accepted' },
  { title: 'no artifact_name depends: installs over any name', spec: { deviceTypes: ['dev-a'] }, facts: { deviceType: 'dev-a', provides: { artifact_name: 'anything' } }, expect: 'accepted' },
  { title: 'artifact_name depends (-N) met', spec: { deviceTypes: ['dev-a'], dependsNames: ['factory-1'] }, expect: 'accepted' },
  {
    title: 'artifact_name depends (-N) unmet',
    spec: { deviceTypes: ['dev-a'], dependsNames: ['other-1'] },
    expect: 'depends',
    message: dependency('artifact_name', '\\[other-1\\] != factory-1'),
  },
  { title: 'artifact_name depends is "any of"', spec: { deviceTypes: ['dev-a'], dependsNames: ['other-1', 'factory-1'] }, expect: 'accepted' },
  { title: 'artifact_group depends (-G) met', spec: { deviceTypes: ['dev-a'], dependsGroups: ['grp-a'] }, expect: 'accepted' },
  {
    title: 'artifact_group depends (-G) unmet',
    spec: { deviceTypes: ['dev-a'], dependsGroups: ['grp-b'] },
    expect: 'depends',
    message: dependency('artifact_group', '\\[grp-b\\] != grp-a'),
  },
  { title: 'artifact_group depends is "any of"', spec: { deviceTypes: ['dev-a'], dependsGroups: ['grp-b', 'grp-a'] }, expect: 'accepted' },
  {
    title: 'artifact_group depends on a device without a group',
    spec: { deviceTypes: ['dev-a'], dependsGroups: ['grp-a'] },
    facts: NO_GROUP,
    expect: 'depends',
    message: dependency('artifact_group', '\\[grp-a\\] != <nil>'),
  },
  { title: 'custom depends (--depends) met', spec: { deviceTypes: ['dev-a'], depends: { 'custom.key': 'v1' } }, expect: 'accepted' },
  {
    title: 'custom depends (--depends) unmet',
    spec: { deviceTypes: ['dev-a'], depends: { 'custom.key': 'v2' } },
    expect: 'depends',
    message: dependency('custom.key', 'v2 != v1'),
  },
  {
    title: 'custom depends on a key the device does not provide',
    spec: { deviceTypes: ['dev-a'], depends: { 'other.key': 'v1' } },
    expect: 'depends',
    message: dependency('other.key', 'v1 != <nil>'),
  },
  { title: 'rootfs-image.version depends met', spec: { deviceTypes: ['dev-a'], depends: { 'rootfs-image.version': '1.2' } }, expect: 'accepted' },
  { title: 'artifact_name as a type-info depends met', spec: { deviceTypes: ['dev-a'], depends: { artifact_name: 'factory-1' } }, expect: 'accepted' },
  {
    title: 'artifact_name as a type-info depends unmet',
    spec: { deviceTypes: ['dev-a'], depends: { artifact_name: 'other-1' } },
    expect: 'depends',
    message: dependency('artifact_name', 'other-1 != factory-1'),
  },
  { title: 'all depends kinds met at once', spec: { deviceTypes: ['dev-a'], dependsNames: ['factory-1'], dependsGroups: ['grp-a'], depends: { 'custom.key': 'v1', 'rootfs-image.version': '1.2' } }, expect: 'accepted' },
];

describe('clientAccepts: the real mender client on a throw-away device', { skip }, () => {
  let work = '';
  const timings: number[] = [];
  let serial = 0;

  /** Writes a single-file artifact whose payload lands in its own directory; returns both. */
  async function make(spec: Spec): Promise<{ path: string; dest: string; name: string }> {
    serial += 1;
    const name = `new-${serial}`;
    const path = join(work, `${name}.mender`);
    const dest = join(work, `dest-${serial}`);
    await writeSingleFileArtifact({ ...spec, name, output: path, destDir: dest });
    return { path, dest, name };
  }

  async function ask(path: string, facts: DeviceFacts): Promise<ClientVerdict> {
    const verdict = await clientAccepts(path, facts);
    timings.push(verdict.ms);
    return verdict;
  }

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'mender-device-test-'));
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.title}: ${c.expect}`, async () => {
      const { path, dest, name } = await make(c.spec);
      const verdict = await ask(path, c.facts ?? DEVICE);
      const written = join(dest, 'payload.txt');
      if (c.expect === 'accepted') {
        assert.equal(verdict.accepted, true, verdict.output);
        assert.equal(verdict.exitCode, 0);
        assert.deepEqual(verdict.errors, []);
        assert.equal(readFileSync(written, 'utf8'), `${name}\n`, 'the single-file module wrote the payload');
      } else {
        assert.equal(verdict.accepted, false);
        assert.equal(verdict.exitCode, 1);
        assert.equal(verdict.rejectedFor, c.expect, verdict.output);
        assert.equal(verdict.passedChecks, false);
        assert.ok(!existsSync(written), 'nothing was installed');
        if (c.message) assert.match(verdict.errors.at(-1) ?? '', c.message);
      }
    });
  }

  it('the device reports exactly the facts (show-provides round trip), and the new provides after', async () => {
    const facts: DeviceFacts = {
      deviceType: 'dev-x',
      provides: { artifact_name: 'release 7', artifact_group: 'g-1', 'rootfs-image.version': '7.0.1', 'data-partition.app.version': 'a:b c' },
    };
    const { path, name } = await make({ deviceTypes: ['dev-x'], noDefaults: true, provides: { 'app.version': '8' }, clearsProvides: ['rootfs-image.*'] });
    const verdict = await ask(path, facts);
    assert.equal(verdict.accepted, true, verdict.output);
    // Set-up already checked that show-provides printed the facts; here the client's own merge:
    // the listed clears went, the group and the unlisted keys stayed.
    assert.deepEqual(verdict.providesAfter, {
      artifact_name: name,
      artifact_group: 'g-1',
      'data-partition.app.version': 'a:b c',
      'app.version': '8',
    });
  });

  it('clears_artifact_provides: absent replaces every provide; the default list keeps the others', async () => {
    const none = await make({ deviceTypes: ['dev-a'], noDefaults: true });
    const replaced = await ask(none.path, DEVICE);
    assert.deepEqual(replaced.providesAfter, { artifact_name: none.name });
    const defaults = await make({ deviceTypes: ['dev-a'] });
    const kept = await ask(defaults.path, DEVICE);
    assert.deepEqual(kept.providesAfter, {
      ...DEVICE.provides,
      artifact_name: defaults.name,
      'rootfs-image.single-file.version': defaults.name,
    });
  });

  it('the same key in header-info and type-info depends is refused, for a reason other than depends', async () => {
    const { path, dest } = await make({ deviceTypes: ['dev-a'], dependsNames: ['factory-1'], depends: { artifact_name: 'factory-1' } });
    const verdict = await ask(path, DEVICE);
    assert.equal(verdict.accepted, false);
    assert.equal(verdict.rejectedFor, null);
    assert.deepEqual(verdict.errors, ['Conflicting keys not allowed in the provides parameters. key: artifact_name']);
    assert.ok(!existsSync(dest));
  });

  it('an update module that fails while installing: not accepted, yet past the checks', async () => {
    const blocker = join(work, 'a-regular-file');
    writeFileSync(blocker, '');
    serial += 1;
    const path = join(work, `failing-${serial}.mender`);
    // The module's `mkdir -p DEST` fails: DEST lies under a regular file.
    await writeSingleFileArtifact({ name: `failing-${serial}`, deviceTypes: ['dev-a'], output: path, destDir: join(blocker, 'dest') });
    const verdict = await ask(path, DEVICE);
    assert.equal(verdict.accepted, false);
    assert.equal(verdict.rejectedFor, null);
    assert.equal(verdict.passedChecks, true, verdict.output);
    assert.equal(verdict.errors.at(-1), 'Installation failed: Update module terminated abnormally: exit status 1');
  });

  describe('header fields mender-artifact 3.9 cannot write (forged headers, real client verdicts)', () => {
    const files = (dest: string): Array<{ name: string; data: Buffer }> => [
      { name: 'payload.txt', data: Buffer.from('forged\n') },
      { name: 'dest_dir', data: Buffer.from(`${dest}\n`) },
      { name: 'filename', data: Buffer.from('payload.txt\n') },
      { name: 'permissions', data: Buffer.from('644\n') },
    ];

    async function forged(headerDepends: Record<string, unknown>, typeDepends?: Record<string, unknown>): Promise<{ path: string; dest: string }> {
      serial += 1;
      const path = join(work, `f${serial}.mender`);
      const dest = join(work, `dest-${serial}`);
      writeFileSync(path, await forgeArtifact({
        headerInfo: { payloads: [{ type: 'single-file' }], artifact_provides: { artifact_name: `forged-${serial}` }, artifact_depends: { device_type: ['dev-a'], ...headerDepends } },
        typeInfo: { type: 'single-file', artifact_provides: {}, ...(typeDepends ? { artifact_depends: typeDepends } : {}) },
        dataFiles: files(dest),
      }));
      return { path, dest };
    }

    it('a list value in type-info depends is "any of"', async () => {
      const met = await forged({}, { 'custom.key': ['v0', 'v1'] });
      assert.equal((await ask(met.path, DEVICE)).accepted, true);
      const unmet = await forged({}, { 'custom.key': ['v0', 'v2'] });
      const verdict = await ask(unmet.path, DEVICE);
      assert.equal(verdict.rejectedFor, 'depends');
      assert.match(verdict.errors.at(-1) ?? '', dependency('custom.key', '\\[v0 v2\\] != v1'));
    });

    it('a custom key in header-info artifact_depends is ignored: only type-info custom depends count', async () => {
      const { path, dest } = await forged({ 'custom.key': 'v2' });
      const verdict = await ask(path, DEVICE);
      assert.equal(verdict.accepted, true, verdict.output);
      assert.ok(existsSync(join(dest, 'payload.txt')));
    });

    it('an empty artifact_name depends list is no constraint', async () => {
      const { path } = await forged({ artifact_name: [] });
      assert.equal((await ask(path, DEVICE)).accepted, true);
    });
  });

  describe('rootfs-image artifacts: checked, never written (the device has no partitions)', () => {
    function rootfs(args: string[]): string {
      serial += 1;
      const image = join(work, `rootfs-${serial}.img`);
      const path = join(work, `rootfs-${serial}.mender`);
      writeFileSync(image, Buffer.alloc(65536, 7));
      execFileSync('mender-artifact', ['write', 'rootfs-image', '-n', `r-${serial}`, '-f', image, '-o', path, '--no-progress', ...args]);
      return path;
    }

    it('a wrong device type is rejected', async () => {
      const verdict = await ask(rootfs(['-t', 'dev-b']), DEVICE);
      assert.equal(verdict.rejectedFor, 'device-type');
    });

    it('unmet depends are rejected', async () => {
      assert.equal((await ask(rootfs(['-t', 'dev-a', '-N', 'other-1']), DEVICE)).rejectedFor, 'depends');
      assert.equal((await ask(rootfs(['-t', 'dev-a', '-d', 'custom.key:v2']), DEVICE)).rejectedFor, 'depends');
    });

    it('an artifact that passes the checks fails at the payload, with nothing to write to', async () => {
      const verdict = await ask(rootfs(['-t', 'dev-a', '-N', 'factory-1', '-d', 'custom.key:v1']), DEVICE);
      assert.equal(verdict.accepted, false);
      assert.equal(verdict.rejectedFor, null);
      assert.equal(verdict.passedChecks, true, verdict.output);
      assert.match(verdict.errors.at(-1) ?? '', /No match between boot and root partitions/);
    });
  });

  it('leaves nothing behind: no mount, no temp dir, this machine\'s Mender paths untouched', async () => {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    const etc = readdirSync('/etc/mender');
    const data = existsSync('/data');
    const devices = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('mender-device-') && join(tmpdir(), name) !== work);
    const clients = (): string[] => execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n').filter((line) => line.includes('mender-device-'));
    const before = devices();
    const accepted = await make({ deviceTypes: ['dev-a'] });
    await ask(accepted.path, DEVICE);
    const rejected = await make({ deviceTypes: ['dev-b'] });
    await ask(rejected.path, DEVICE);
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8'), mounts);
    assert.deepEqual(readdirSync('/etc/mender'), etc);
    assert.equal(existsSync('/data'), data);
    assert.deepEqual(devices(), before);
    assert.deepEqual(clients(), []);
  });

  // Timings are reported, not asserted: speed targets live in benchmarks, never in tests.
  it('reports how long a call takes', (t) => {
    const sorted = [...timings].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1] ?? 0;
    t.diagnostic(`${sorted.length} calls: min ${sorted[0]} ms, median ${median} ms, max ${sorted.at(-1)} ms`);
    assert.ok(sorted.length > 20, 'every case above ran the client');
  });

  it('refuses facts it cannot set up faithfully', async () => {
    await assert.rejects(clientAccepts('/nonexistent.mender', { deviceType: 'dev-a', provides: {} }), /artifact_name/);
    await assert.rejects(clientAccepts('/nonexistent.mender', { deviceType: 'dev-a', provides: { artifact_name: 'a', 'k:x': 'v' } }), /unusable provides key/);
  });
});
