// The trust rule for the config, keys and state (src/system/config/file-trust.ts) on real files in a temp
// folder, with real chmod and chown: as root, anything another user could change is refused and
// named; not as root, nothing is checked. Then the commands that deploy (install, health, daemon)
// refusing to start on such a config. Needs root for chown: skips with the reason otherwise.

import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertRootOnly } from '../../../../src/system/config/file-trust.js';
import { KEYS } from '../../../support/skip/fixtures.js';
import { runCli } from '../../../support/harness/run-cli.js';
import { withTempDir } from '../../../support/harness/temp.js';
import { needsSetUp } from '../../../support/skip/fixtures.js';

const skip = needsSetUp(process.geteuid?.() === 0 ? null : 'needs root (chown, and the check runs only as root)', 'the file trust tests');

const refused = (pattern: RegExp) => (err: unknown): boolean => {
  assert.equal((err as { code?: string }).code, 'CONFIG_UNSAFE_PERMISSIONS', String(err));
  assert.match((err as Error).message, pattern);
  return true;
};

describe('files only root may change (running as root)', { skip }, () => {
  it('a root-owned file in a root-owned folder, writable by root only, is trusted; absent state files too', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'x');
      chmodSync(file, 0o644);
      await assertRootOnly([{ what: 'the config', path: file }, { what: 'the state file', path: join(dir, 'journal.json'), mayBeAbsent: true }]);
    });
  });

  const CASES: { name: string; arrange: (dir: string, file: string) => void; message: RegExp }[] = [
    { name: 'writable by others', arrange: (_dir, file) => chmodSync(file, 0o666), message: /the config .*config\.yaml is writable by group and others \(mode 0666\)/ },
    { name: 'writable by its group', arrange: (_dir, file) => chmodSync(file, 0o664), message: /is writable by group \(mode 0664\)/ },
    { name: 'owned by another user', arrange: (_dir, file) => chownSync(file, 1000, 0), message: /config\.yaml is owned by uid 1000, not root/ },
    { name: 'in a folder others can write', arrange: (dir) => chmodSync(dir, 0o777), message: /the folder .* holding the config .*config\.yaml is writable by group and others/ },
    { name: 'in a folder another user owns', arrange: (dir) => chownSync(dir, 1000, 1000), message: /the folder .* holding the config .* is owned by uid 1000/ },
  ];
  for (const { name, arrange, message } of CASES) {
    it(`refused and named: a config ${name}`, async () => {
      await withTempDir(async (dir) => {
        const sub = join(dir, 'etc');
        mkdirSync(sub, { mode: 0o755 });
        const file = join(sub, 'config.yaml');
        writeFileSync(file, 'x', { mode: 0o644 });
        arrange(sub, file);
        await assert.rejects(assertRootOnly([{ what: 'the config', path: file }]), refused(message));
      });
    });
  }

  it('a sticky folder (like /tmp) protects root\'s file in it; a link is judged by the file it points to', async () => {
    await withTempDir(async (dir) => {
      chmodSync(dir, 0o1777);
      const file = join(dir, 'key.pub');
      writeFileSync(file, 'x', { mode: 0o644 });
      await assertRootOnly([{ what: 'the signature key', path: file }]);
      const link = join(dir, 'link.pub');
      symlinkSync(file, link);
      chmodSync(file, 0o646);
      await assert.rejects(assertRootOnly([{ what: 'the signature key', path: link }]), refused(/the signature key .*link\.pub \(.*key\.pub\) is writable by others/));
    });
  });

  it('not running as root: nothing is checked', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'x', { mode: 0o666 });
      chmodSync(file, 0o666);
      await assertRootOnly([{ what: 'the config', path: file }], { uid: 1000 });
    });
  });

  /** A valid config in `dir` whose state folder is `dir/state`. */
  const writeConfig = (dir: string): string => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, ['signature:', `  keys: [${KEYS}rsa3072.pub]`, 'state:', `  dir: ${join(dir, 'state')}`, ''].join('\n'), { mode: 0o644 });
    return config;
  };

  for (const command of ['install', 'health', 'daemon'] as const) {
    it(`usb-updater ${command} refuses to start and names the file: a journal others can write, then a config`, async () => {
      await withTempDir(async (dir) => {
        const config = writeConfig(dir);
        mkdirSync(join(dir, 'state'), { mode: 0o700 });
        writeFileSync(join(dir, 'state', 'journal.json'), '{}', { mode: 0o600 });
        chmodSync(join(dir, 'state', 'journal.json'), 0o622);
        const args = command === 'install' ? ['install', '-c', config, dir] : command === 'daemon' ? ['daemon', '-c', config, '--usb-module', 'usb-detection-not-installed'] : ['health', '-c', config];
        const first = await runCli(args);
        assert.equal(first.code, 1, first.stderr);
        assert.match(first.stderr, /CONFIG_UNSAFE_PERMISSIONS: the state file .*state\/journal\.json is writable by group and others \(mode 0622\)/);
        chmodSync(join(dir, 'state', 'journal.json'), 0o600);
        chownSync(config, 1000, 1000);
        const second = await runCli(args);
        assert.equal(second.code, 1, second.stderr);
        assert.match(second.stderr, /CONFIG_UNSAFE_PERMISSIONS: the config .*config\.yaml is owned by uid 1000, not root/);
      });
    });
  }
});
