// `usb-updater check` on a stick folder holding artifacts written by the real mender-artifact, with
// the traps a real stick carries: an AppleDouble twin, a link into /etc, a FIFO, a cut copy, a file
// of FAT32's maximum size, an unsigned and a wrongly signed artifact, another device's artifact and
// two different artifacts of the same version.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KEYS, needsTool } from '../support/skip/fixtures.js';
import { runCli } from '../support/harness/run-cli.js';

const skip = needsTool('mender-artifact', 'mender-artifact');

interface CheckJson {
  outcome: string;
  selected: string | null;
  running: { artifact_name: string | null; version: string | null };
  candidates: { path: string; verdict: string; selected: boolean; artifact_name: string | null; version: string | null; reasons: { code: string; message: string }[] }[];
}

describe('usb-updater check', { skip }, () => {
  let work = '';
  let stick = '';
  let config = '';

  function write(name: string, deviceType: string, key: string | null, out: string): void {
    const payload = join(work, 'rootfs.img');
    const sign = key === null ? [] : ['-k', join(KEYS, key)];
    execFileSync('mender-artifact', ['write', 'rootfs-image', '-n', name, '-t', deviceType, '-f', payload, '-o', out, '--no-progress', ...sign], { stdio: 'pipe' });
  }

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'check-cli-'));
    stick = join(work, 'stick');
    mkdirSync(join(stick, 'updates'), { recursive: true });
    writeFileSync(join(work, 'rootfs.img'), Buffer.alloc(64 * 1024, 7));
    write('product-1.4.0', 'dev-a', 'rsa3072.key', join(stick, 'product-1.4.0.mender'));
    write('product-1.3.0', 'dev-a', 'rsa3072.key', join(stick, 'updates', 'product-1.3.0.mender'));
    write('product-1.5.0', 'dev-a', null, join(stick, 'product-1.5.0-unsigned.mender'));
    write('product-1.6.0', 'dev-a', 'rsa2048-other.key', join(stick, 'product-1.6.0-wrong-key.mender'));
    write('product-9.0.0', 'dev-b', 'rsa3072.key', join(stick, 'product-9.0.0-dev-b.mender'));
    write('product-1.0.0', 'dev-a', 'rsa3072.key', join(stick, 'product-1.0.0-old.mender'));
    copyFileSync(join(stick, 'product-1.4.0.mender'), join(stick, '._product-1.4.0.mender'));
    symlinkSync('/etc/passwd', join(stick, 'update.mender'));
    execFileSync('mkfifo', [join(stick, 'x.mender')]);
    const whole = readFileSync(join(stick, 'product-1.4.0.mender'));
    writeFileSync(join(stick, 'cut.mender'), whole.subarray(0, 1500));
    writeFileSync(join(stick, 'empty.mender'), '');
    writeFileSync(join(stick, 'notes.txt'), 'not a candidate');
    // A sparse file of exactly 4 GiB - 1 bytes: what copy tools leave when FAT32's limit cuts a file.
    writeFileSync(join(stick, 'huge.mender'), whole);
    truncateSync(join(stick, 'huge.mender'), 2 ** 32 - 1);
    config = join(work, 'config.yaml');
    writeFileSync(config, `signature:\n  keys: [${join(KEYS, 'rsa3072.pub')}]\nversioning:\n  scheme: semver\n`);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const check = (...args: string[]) => runCli(['check', '-c', config, '--device-type', 'dev-a', '--provides', 'artifact_name=product-1.2.0', ...args]);

  it('explains every candidate and selects the newest acceptable artifact', async () => {
    const result = await check('--json', stick);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as CheckJson;
    const byName = new Map(json.candidates.map((c) => [c.path.slice(stick.length + 1), c]));
    const codes = (name: string): string[] => (byName.get(name)?.reasons ?? []).map((r) => r.code);
    assert.equal(json.outcome, 'selected');
    assert.equal(json.selected, join(stick, 'product-1.4.0.mender'));
    assert.deepEqual(json.running, { artifact_name: 'product-1.2.0', version: '1.2.0' });
    assert.deepEqual(
      [...byName.keys()].sort(),
      ['._product-1.4.0.mender', 'cut.mender', 'empty.mender', 'huge.mender', 'product-1.0.0-old.mender', 'product-1.4.0.mender', 'product-1.5.0-unsigned.mender', 'product-1.6.0-wrong-key.mender', 'product-9.0.0-dev-b.mender', 'update.mender', 'updates/product-1.3.0.mender', 'x.mender'],
    );
    assert.deepEqual(codes('product-1.4.0.mender'), []);
    assert.equal(byName.get('product-1.4.0.mender')?.selected, true);
    assert.deepEqual(codes('updates/product-1.3.0.mender'), ['NOT_NEWEST']);
    assert.deepEqual(codes('product-1.5.0-unsigned.mender'), ['UNSIGNED']);
    assert.deepEqual(codes('product-1.6.0-wrong-key.mender'), ['SIGNATURE_INVALID']);
    assert.deepEqual(codes('product-9.0.0-dev-b.mender'), ['DEVICE_TYPE_MISMATCH']);
    assert.deepEqual(codes('product-1.0.0-old.mender'), ['DOWNGRADE']);
    assert.deepEqual(codes('._product-1.4.0.mender'), ['APPLEDOUBLE_FILE']);
    assert.deepEqual(codes('update.mender'), ['SYMLINK']);
    assert.deepEqual(codes('x.mender'), ['NOT_REGULAR_FILE']);
    assert.deepEqual(codes('cut.mender'), ['INVALID_ARTIFACT']);
    assert.match(byName.get('cut.mender')?.reasons[0]?.message ?? '', /^ARTIFACT_TRUNCATED: /);
    assert.deepEqual(codes('empty.mender'), ['EMPTY_FILE']);
    assert.deepEqual(codes('huge.mender'), ['FAT32_TRUNCATED']);
  });

  it('prints the same decision as text, one line per candidate with its reasons', async () => {
    const result = await check(stick);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Device: type dev-a, running product-1\.2\.0 \(version 1\.2\.0\)$/m);
    assert.match(result.stdout, /^ACCEPT {2}\S+\/product-1\.4\.0\.mender {2}product-1\.4\.0 \(version 1\.4\.0\) {2}<- will be installed$/m);
    assert.match(result.stdout, /^REJECT {2}\S+\/product-9\.0\.0-dev-b\.mender .*\n {8}DEVICE_TYPE_MISMATCH: made for device type "dev-b"; this device is "dev-a"$/m);
    assert.match(result.stdout, /^SKIP {4}\S+\/update\.mender\n {8}SYMLINK: /m);
    assert.match(result.stdout, /^Result: install product-1\.4\.0 \(version 1\.4\.0\) from \S+\/product-1\.4\.0\.mender$/m);
  });

  it('refuses two different artifacts of the same version as ambiguous, and exits 3', async () => {
    const twins = join(work, 'twins');
    mkdirSync(twins);
    copyFileSync(join(stick, 'product-1.4.0.mender'), join(twins, 'a.mender'));
    // Same name and version, different payload: a different artifact.
    writeFileSync(join(work, 'rootfs.img'), Buffer.alloc(64 * 1024, 9));
    write('product-1.4.0', 'dev-a', 'rsa3072.key', join(twins, 'b.mender'));
    copyFileSync(join(twins, 'a.mender'), join(twins, 'c-copy.mender'));
    const result = await check('--json', twins);
    assert.equal(result.code, 3, result.stderr);
    const json = JSON.parse(result.stdout) as CheckJson;
    assert.equal(json.outcome, 'ambiguous');
    assert.equal(json.selected, null);
    assert.deepEqual(json.candidates.map((c) => [c.path.slice(twins.length + 1), c.reasons.map((r) => r.code)]), [['a.mender', ['AMBIGUOUS']], ['b.mender', ['AMBIGUOUS']], ['c-copy.mender', ['DUPLICATE']]]);
  });

  it('checks single files, and exits 3 when nothing is acceptable', async () => {
    const result = await check(join(stick, 'product-9.0.0-dev-b.mender'), join(stick, 'product-1.5.0-unsigned.mender'));
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stdout, /^Result: nothing to install: 2 artifacts found, none acceptable$/m);
  });

  it('exits 1 with every config problem on a bad config, and on a path that does not exist', async () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, 'signature:\n  requird: true\nsearch:\n  timeout: 30 sec\n');
    const result = await runCli(['check', '-c', bad, '--device-type', 'dev-a', stick]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `${bad}:2:3 signature.requird: unknown key "requird": did you mean "required"?\n` +
        `${bad}:4:12 search.timeout: "30 sec" is not a duration: write a number with a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m\n` +
        `usb-updater: error CONFIG_INVALID: ${bad}: 2 errors\n`,
    );
    const missing = await check(join(work, 'no-such-stick'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error IO_ERROR: .*no-such-stick: no such file or folder/);
  });

  it('exits 2 on a malformed flag', async () => {
    const result = await runCli(['check', '--provides', 'artifact_name', stick]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /error USAGE_ERROR: --provides "artifact_name": write KEY=VALUE/);
  });
});
