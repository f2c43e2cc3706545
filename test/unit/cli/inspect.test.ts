// `usb-updater inspect`: the JSON contract, the human view, stdin input and the exit codes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARTIFACTS, KEYS, artifact } from '../../support/skip/fixtures.js';
import { forgeArtifact } from '../../support/artifacts/forge.js';
import { runCli } from '../../support/harness/run-cli.js';

const REQUIRED_KEYS = ['format_version', 'name', 'group', 'device_types', 'artifact_provides', 'artifact_depends', 'compression', 'signed', 'signature_verified', 'state_scripts', 'payloads'];
const PAYLOAD_KEYS = ['type', 'artifact_provides', 'artifact_depends', 'clears_artifact_provides', 'meta_data', 'files'];

describe('usb-updater inspect', () => {
  it('--json prints one object with Mender key names, sizes null in header-only mode', async () => {
    const { code, stdout, stderr } = await runCli(['inspect', '--json', `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(stdout) as Record<string, unknown> & { payloads: Array<Record<string, unknown> & { files: Array<Record<string, unknown>> }> };
    for (const key of REQUIRED_KEYS) assert.ok(key in json, `missing ${key}`);
    for (const key of PAYLOAD_KEYS) assert.ok(key in (json.payloads[0] ?? {}), `missing payloads[0].${key}`);
    assert.equal(json.name, 'release-1.0');
    assert.equal(json.signed, true);
    assert.equal(json.signature_verified, null);
    assert.deepEqual(Object.keys(json.payloads[0]?.files[0] ?? {}).slice(0, 3), ['name', 'size', 'checksum']);
    assert.equal(json.payloads[0]?.files[0]?.size, null);
  });

  it('--verify --key reports sizes and a verified signature', async () => {
    const { code, stdout } = await runCli(['inspect', '--verify', '--json', '--key', `${KEYS}ec-p256-other.pub`, '-k', `${KEYS}ec-p256.pub`, `${ARTIFACTS}rootfs-lzma-ec.mender`]);
    assert.equal(code, 0);
    const json = JSON.parse(stdout) as { signature_verified: boolean; payloads: Array<{ files: Array<{ size: number }> }> };
    assert.equal(json.signature_verified, true);
    assert.equal(json.payloads[0]?.files[0]?.size, 16384);
  });

  it('prints a human summary by default', async () => {
    const { code, stdout } = await runCli(['inspect', `${ARTIFACTS}module-augmented-lzma-ec.mender`]);
    assert.equal(code, 0);
    assert.match(stdout, /^Mender artifact app-2\.1$/m);
    assert.match(stdout, /Device types:\s+dev-a, dev-b/);
    assert.match(stdout, /NOT covered by the signature/);
    assert.match(stdout, /not read \(header only; use --verify/);
  });

  it('never sends control characters from the artifact to the terminal', async () => {
    const name = 'evil\u001b[2J\u0007name';
    const buf = await forgeArtifact({ headerInfo: { payloads: [{ type: 'rootfs-image' }], artifact_provides: { artifact_name: name }, artifact_depends: { device_type: ['dev\u009bx'] } } });
    const { code, stdout } = await runCli(['inspect', '-'], [buf]);
    assert.equal(code, 0);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    assert.match(stdout, /evil\\u001b\[2J\\u0007name/);
    const json = await runCli(['inspect', '--json', '-'], [buf]);
    assert.equal((JSON.parse(json.stdout) as { name: string }).name, name);
  });

  it('escapes control characters and newlines quoted in error messages too', async () => {
    const buf = await forgeArtifact({ headerInfo: { payloads: [{ type: 'rootfs-image' }], artifact_provides: { artifact_name: 'x', 'k\u001b[31m\nSignature: verified': 1 }, artifact_depends: { device_type: ['d'] } } });
    const { code, stderr } = await runCli(['inspect', '-'], [buf]);
    assert.equal(code, 1);
    assert.match(stderr, /ARTIFACT_BAD_HEADER: .*k\\u001b\[31m\\u000aSignature: verified/);
    assert.equal(stderr.split('\n').length, 2, 'one line and its end');
  });

  it('reads standard input with -', async () => {
    const { code, stdout } = await runCli(['inspect', '--json', '-'], [artifact('v2-rootfs-gzip.mender')]);
    assert.equal(code, 0);
    assert.equal((JSON.parse(stdout) as { format_version: number }).format_version, 2);
  });

  it('exits 1 with the member named when the artifact is invalid, and with --json prints the error', async () => {
    const wrongKey = await runCli(['inspect', '--json', '-k', `${KEYS}rsa2048-other.pub`, `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.equal(wrongKey.code, 1);
    assert.deepEqual(Object.keys(JSON.parse(wrongKey.stdout) as object), ['error']);
    assert.match(wrongKey.stdout, /ARTIFACT_SIGNATURE_INVALID/);
    assert.match(wrongKey.stderr, /manifest\.sig/);
    const unsigned = await runCli(['inspect', '-k', `${KEYS}rsa3072.pub`, `${ARTIFACTS}rootfs-none-unsigned.mender`]);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /ARTIFACT_SIGNATURE_MISSING/);
    const cut = await runCli(['inspect', '-'], [artifact('rootfs-gzip-rsa.mender').subarray(0, 1600)]);
    assert.equal(cut.code, 1);
    assert.match(cut.stderr, /ARTIFACT_TRUNCATED: artifact: manifest/);
  });

  it('exits 2 on usage errors and unusable keys', async () => {
    assert.equal((await runCli(['inspect'])).code, 2);
    assert.equal((await runCli(['inspect', '--bogus', 'x'])).code, 2);
    assert.equal((await runCli(['frobnicate'])).code, 2);
    const priv = await runCli(['inspect', '-k', `${KEYS}rsa3072.key`, `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.equal(priv.code, 2);
    assert.match(priv.stderr, /KEY_INVALID: .*private key/);
    const weak = await runCli(['inspect', '-k', `${KEYS}rsa1024-weak.pub`, `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.match(weak.stderr, /1024 bits; at least 2048/);
    const p384 = await runCli(['inspect', '-k', `${KEYS}ec-p384.pub`, `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.match(p384.stderr, /secp384r1; only P-256/);
    const missing = await runCli(['inspect', '-k', '/nonexistent.pub', `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.equal(missing.code, 2);
  });

  it('exits 3 when the artifact file cannot be read', async () => {
    const { code, stderr } = await runCli(['inspect', '/nonexistent/x.mender']);
    assert.equal(code, 3);
    assert.match(stderr, /IO_ERROR: \/nonexistent\/x\.mender: no such file/);
    assert.equal((await runCli(['inspect', ARTIFACTS])).code, 3);
  });

  it('--help works on every command and exits 0', async () => {
    for (const argv of [['--help'], ['inspect', '--help'], ['help', 'inspect']]) {
      const { code, stdout } = await runCli(argv);
      assert.equal(code, 0);
      assert.match(stdout, /Usage: usb-updater/);
    }
    const inspectHelp = await runCli(['inspect', '--help']);
    assert.match(inspectHelp.stdout, /Exit codes: 0 valid, 1 invalid/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });
});
