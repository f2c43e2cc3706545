// .ci/package.mjs (`npm run package`, issue 13): the bundle runs every command on its own, with the
// native addons beside it and without them, and the Debian package holds what a device needs, as
// dpkg-deb and lintian see it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ARTIFACTS, REPO, artifact, keyPem, needsTool } from '../../support/skip/fixtures.js';
import { needsUsbDetection, startCommand } from '../../support/skip/media.js';
import { recompressArtifact } from '../../support/artifacts/recompress.js';

const VERSION = (JSON.parse(readFileSync(`${REPO}package.json`, 'utf8')) as { version: string }).version;
const COMMANDS = ['inspect', 'check', 'install', 'status', 'reports', 'health', 'config', 'watch', 'daemon', 'diagnostics'];
const noDpkg = needsTool('dpkg-deb', 'dpkg');
const noLintian = needsTool('lintian', 'lintian');

// Under the repository's dist/, the bundle finds the repository's node_modules (zstd-napi,
// usb-detection) as it would find /usr/lib/usb-updater/node_modules; a copy in the temp folder finds none.
let out = '';
let alone = '';
let printed: string[] = [];
/** The code cache of every run here: never the machine's /var/cache/usb-updater. */
let codeCache = '';
const bundleIn = (dir: string): string => join(dir, 'usb-updater.mjs');
const mainIn = (dir: string): string => join(dir, 'usb-updater-main.cjs');
const childIn = (dir: string): string => join(dir, 'usb-monitor-child.mjs');
const deb = (): string => join(out, `usb-updater_${VERSION}_all.deb`);
const node = (args: string[], input?: Buffer) => spawnSync(process.execPath, args, { input, encoding: 'utf8', timeout: 20_000 });
const dpkgDeb = (...args: string[]): string => {
  const result = spawnSync('dpkg-deb', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
};

before(() => {
  mkdirSync(`${REPO}dist`, { recursive: true });
  out = mkdtempSync(`${REPO}dist/package-test-`);
  alone = mkdtempSync(join(tmpdir(), 'usb-updater-bundle-'));
  codeCache = mkdtempSync(join(tmpdir(), 'usb-updater-code-cache-'));
  process.env.USB_UPDATER_CODE_CACHE = codeCache;
  const built = spawnSync(process.execPath, [`${REPO}.ci/package.mjs`, '--out', out, ...(noDpkg === false ? [] : ['--no-deb'])], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(built.status, 0, built.stderr);
  printed = built.stdout.trim().split('\n');
  for (const file of [bundleIn, mainIn, childIn]) copyFileSync(file(out), file(alone));
});

after(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(alone, { recursive: true, force: true });
  rmSync(codeCache, { recursive: true, force: true });
});

describe('the bundle (dist/package/usb-updater.mjs)', () => {
  it('is written as a launcher, the main file and the USB monitor\'s own small entry, and the paths are printed', () => {
    assert.deepEqual(printed, noDpkg === false ? [bundleIn(out), mainIn(out), childIn(out), deb()] : [bundleIn(out), mainIn(out), childIn(out)]);
    assert.deepEqual(readdirSync(out).sort(), printed.map((p) => p.slice(out.length + 1)).sort());
    assert.equal(statSync(bundleIn(out)).mode & 0o777, 0o755);
    assert.equal(statSync(mainIn(out)).mode & 0o777, 0o644);
    // The launcher holds none of the program: it runs the main file (src/system/os/code-cache.ts).
    const launcher = readFileSync(bundleIn(out), 'utf8');
    assert.ok(launcher.length < 16 * 1024, `${launcher.length} bytes`);
    assert.match(launcher, /^#!\/usr\/bin\/env node\n/);
    assert.doesNotMatch(launcher, /winston|commander|UpdaterError/);
    // The main file: CommonJS without a #! line, ASCII only (read as latin1), and the native
    // addons outside, loaded at run time by name through require (the launcher has no import()).
    const bytes = readFileSync(mainIn(out));
    assert.equal(bytes.findIndex((b) => b > 0x7f), -1, 'a byte past ASCII');
    const text = bytes.toString('latin1');
    assert.match(text, /^"use strict";\n/);
    assert.match(text, /require\("zstd-napi\/binding\.js"\)/);
    assert.doesNotMatch(text, /\bimport\(["\w]/);
    assert.doesNotMatch(text, /\.node["']\)/);
    // The child loads the addon and itself only (issue 16): none of the bundle's code is in it.
    const child = readFileSync(childIn(out), 'utf8');
    assert.ok(child.length < 4096, `${child.length} bytes`);
    assert.match(child, /startMonitoring/);
    assert.doesNotMatch(child, /winston|commander|UpdaterError/);
  });

  it('answers --version, --help and every command\'s --help with no node_modules anywhere', () => {
    const version = node([bundleIn(alone), '--version']);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout, `${VERSION}\n`);
    const help = node([bundleIn(alone), '--help']);
    assert.equal(help.status, 0, help.stderr);
    for (const command of COMMANDS) {
      assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'));
      // Each command's module is a lazy import inside the one file.
      const own = node([bundleIn(alone), command, '--help']);
      assert.equal(own.status, 0, `${command}: ${own.stderr}`);
      assert.match(own.stdout, new RegExp(`^Usage: usb-updater ${command} `), command);
    }
    // reports needs no config, no root and no addon: a laptop runs the bundle on a stick's folder.
    const reports = node([bundleIn(alone), 'reports', '--json', `${REPO}test/fixtures/reports`]);
    assert.equal(reports.status, 0, reports.stderr);
    assert.equal((JSON.parse(reports.stdout) as { read: number }).read, 12);
    const schema = node([bundleIn(alone), 'config', 'schema']);
    assert.equal(schema.status, 0, schema.stderr);
    assert.equal((JSON.parse(schema.stdout) as { type: string }).type, 'object');
  });

  it('starts through V8\'s code cache: written by the first run, taken by the next, the same answers', () => {
    const dir = join(codeCache, 'own');
    const withCache = (args: string[], cache = dir) => spawnSync(process.execPath, [bundleIn(alone), ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, USB_UPDATER_CODE_CACHE: cache, NODE_DEBUG: 'usb-updater' } });
    const debugLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('USB-UPDATER ')).map((l) => l.replace(/^USB-UPDATER \d+: /, ''));
    const first = withCache(['--version']);
    assert.equal(first.stdout, `${VERSION}\n`, first.stderr);
    assert.equal(debugLines(first.stderr)[0], 'code cache: none');
    assert.match(debugLines(first.stderr)[1] ?? '', /^code cache .+\/usb-updater-[0-9a-f]{16}-.+\.v8cache: written \(\d+ bytes\)$/);
    const args = ['inspect', '--verify', '--json', `${ARTIFACTS}rootfs-gzip-rsa.mender`];
    const cached = withCache(args);
    assert.equal(cached.status, 0, cached.stderr);
    assert.deepEqual(debugLines(cached.stderr), ['code cache: accepted']);
    const uncached = withCache(args, 'off');
    assert.deepEqual(debugLines(uncached.stderr), ['code cache: none']);
    assert.equal(cached.stdout, uncached.stdout);
    assert.equal(readdirSync(dir).length, 1);
  });

  it('names its main file when it is missing (an installation cut short), exit 70', () => {
    const dir = mkdtempSync(join(tmpdir(), 'usb-updater-launcher-'));
    try {
      copyFileSync(bundleIn(out), bundleIn(dir));
      const result = node([bundleIn(dir), '--version']);
      assert.equal(result.status, 70);
      assert.equal(result.stderr, `usb-updater: cannot start: ${mainIn(dir)}: ENOENT (reinstall usb-updater)\n`);
      assert.equal(result.stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the daemon\'s code cache while it runs, 2 s after its start', async () => {
    const dir = join(codeCache, 'daemon');
    const daemon = startCommand(['daemon', '--media-root', '/nonexistent-media-root'], bundleIn(alone), { ...process.env, USB_UPDATER_CODE_CACHE: dir, NODE_DEBUG: 'usb-updater' });
    // Not a timed assertion: the bound only turns a daemon that never writes into a failure.
    await daemon.waitForStderr(': written (', 60_000);
    assert.equal(readdirSync(dir).length, 1);
    const { code } = await daemon.terminate();
    assert.equal(code, 0, daemon.stderr());
  });

  it('inspects and verifies gzip and xz artifacts with no node_modules anywhere', () => {
    for (const name of ['rootfs-gzip-rsa.mender', 'rootfs-lzma-ec.mender']) {
      const result = node([bundleIn(alone), 'inspect', '--verify', '--json', `${ARTIFACTS}${name}`]);
      assert.equal(result.status, 0, `${name}: ${result.stderr}`);
      const expected = node([`${REPO}dist/src/cli/bin.js`, 'inspect', '--verify', '--json', `${ARTIFACTS}${name}`]);
      assert.equal(result.stdout, expected.stdout, name);
    }
  });

  it('inspects a zstd artifact with zstd-napi beside it, and names the missing addon without it', async () => {
    const zstd = await recompressArtifact(artifact('rootfs-gzip-rsa.mender'), { to: 'zstd', signingKeyPem: keyPem('rsa3072.key') });
    const file = join(alone, 'rootfs-zstd.mender');
    writeFileSync(file, zstd);
    const beside = node([bundleIn(out), 'inspect', '--verify', file]);
    assert.equal(beside.status, 0, beside.stderr);
    assert.match(beside.stdout, /zstd/);
    const without = node([bundleIn(alone), 'inspect', '--verify', file]);
    assert.equal(without.status, 1);
    assert.match(without.stderr, /^usb-updater: error ARTIFACT_COMPRESSION: .*zstd needs the zstd-napi addon, which is not installed/m);
  });

  it('runs the USB monitor child from its own file: without usb-detection, one log line', async () => {
    const daemon = startCommand(['daemon', '--media-root', '/nonexistent-media-root'], bundleIn(alone));
    await daemon.waitForStderr('usb-detection is not installed or did not build');
    assert.match(daemon.stderr(), /Cannot find module 'usb-detection'/);
    const { code } = await daemon.terminate();
    assert.equal(code, 0, daemon.stderr());
  });

  it('runs the USB monitor child from its own file: with usb-detection beside it, the monitor starts', { skip: needsUsbDetection() }, async () => {
    const daemon = startCommand(['daemon', '--media-root', '/nonexistent-media-root'], bundleIn(out));
    await daemon.waitForStderr('"USB monitor started"');
    const { code } = await daemon.terminate();
    assert.equal(code, 0, daemon.stderr());
  });
});

describe('the Debian package', { skip: noDpkg }, () => {
  it('holds the bundle, the command, the units, the rule, the config and the docs, root-owned', () => {
    const listed = dpkgDeb('-c', deb()).trim().split('\n').map((line) => {
      const [mode = '', owner = '', , , , ...rest] = line.split(/\s+/);
      return `${mode} ${owner} ${rest.join(' ')}`;
    }).filter((line) => !line.startsWith('d'));
    assert.deepEqual(listed.sort(), [
      '-rw-r--r-- root/root ./etc/usb-updater/config.yaml',
      '-rw-r--r-- root/root ./usr/lib/systemd/system/usb-updater-health.service',
      '-rw-r--r-- root/root ./usr/lib/systemd/system/usb-updater-mount@.service',
      '-rw-r--r-- root/root ./usr/lib/systemd/system/usb-updater.service',
      '-rw-r--r-- root/root ./usr/lib/udev/rules.d/99-usb-updater.rules',
      '-rw-r--r-- root/root ./usr/lib/usb-updater/usb-monitor-child.mjs',
      '-rw-r--r-- root/root ./usr/lib/usb-updater/usb-updater-main.cjs',
      '-rw-r--r-- root/root ./usr/share/doc/usb-updater/changelog.gz',
      '-rw-r--r-- root/root ./usr/share/doc/usb-updater/copyright',
      '-rw-r--r-- root/root ./usr/share/man/man1/usb-updater.1.gz',
      '-rwxr-xr-x root/root ./usr/lib/usb-updater/usb-updater.mjs',
      'lrwxrwxrwx root/root ./usr/bin/usb-updater -> ../lib/usb-updater/usb-updater.mjs',
    ]);
  });

  it('says what it is and what it needs', () => {
    const field = (name: string): string => dpkgDeb('-f', deb(), name).trim();
    assert.equal(field('Package'), 'usb-updater');
    assert.equal(field('Version'), VERSION.replace('-', '~'));
    assert.equal(field('Architecture'), 'all');
    assert.equal(field('Depends'), 'nodejs (>= 20.19), mender-client, libubootenv-tool, util-linux (>= 2.38), mount');
    assert.ok(Number(field('Installed-Size')) > 1000, field('Installed-Size'));
  });

  it('keeps the config as a conffile and enables both services from its maintainer scripts', () => {
    const control = mkdtempSync(join(tmpdir(), 'usb-updater-control-'));
    try {
      dpkgDeb('-e', deb(), control);
      assert.equal(readFileSync(join(control, 'conffiles'), 'utf8'), '/etc/usb-updater/config.yaml\n');
      for (const script of ['postinst', 'prerm', 'postrm']) {
        assert.equal(statSync(join(control, script)).mode & 0o777, 0o755, script);
        const syntax = spawnSync('sh', ['-n', join(control, script)], { encoding: 'utf8' });
        assert.equal(syntax.status, 0, `${script}: ${syntax.stderr}`);
      }
      const postinst = readFileSync(join(control, 'postinst'), 'utf8');
      assert.match(postinst, /^UNITS="usb-updater-health\.service usb-updater\.service"$/m);
      assert.match(postinst, /deb-systemd-helper enable "\$unit"/);
      // Standalone mode: the client's managed-mode daemon, which its package enables, is disabled once.
      assert.match(postinst, /if \[ -z "\$2" \] && deb-systemd-helper --quiet is-enabled mender-client\.service; then\n\s+deb-systemd-helper disable mender-client\.service/);
      // Nothing is started or reloaded where systemd or udev does not run (a chroot, an image build).
      assert.match(postinst, /if \[ -d \/run\/systemd\/system \]; then\n\s+systemctl --system daemon-reload/);
      assert.match(postinst, /if \[ -d \/run\/udev \] && command -v udevadm >\/dev\/null; then\n\s+udevadm control --reload/);
      // The code cache is the removed program's bytecode: it goes with it (src/system/os/code-cache.ts).
      assert.match(readFileSync(join(control, 'postrm'), 'utf8'), /if \[ "\$1" = remove \] \|\| \[ "\$1" = purge \]; then\n\s+rm -rf \/var\/cache\/usb-updater\n/);
    } finally {
      rmSync(control, { recursive: true, force: true });
    }
  });

  it('runs from a scratch root it is unpacked into, through /usr/bin/usb-updater', () => {
    const root = mkdtempSync(join(tmpdir(), 'usb-updater-root-'));
    try {
      dpkgDeb('-x', deb(), root);
      const version = spawnSync(join(root, 'usr/bin/usb-updater'), ['--version'], { encoding: 'utf8' });
      assert.equal(version.status, 0, version.stderr);
      assert.equal(version.stdout, `${VERSION}\n`);
      const inspect = spawnSync(join(root, 'usr/bin/usb-updater'), ['inspect', '--verify', `${ARTIFACTS}rootfs-lzma-ec.mender`], { encoding: 'utf8' });
      assert.equal(inspect.status, 0, inspect.stderr);
      assert.match(inspect.stdout, /^Mender artifact release-1\.1$/m);
      // Every npm package inside the bundle is named in the copyright file with its licence.
      const copyright = readFileSync(join(root, 'usr/share/doc/usb-updater/copyright'), 'utf8');
      for (const name of ['commander', 'winston', 'tar-stream', 'xz-decompress', 'yaml', 'zod']) assert.match(copyright, new RegExp(`^ ${name} \\S+ \\((MIT|ISC|Apache-2\\.0)\\)$`, 'm'), name);
      assert.doesNotMatch(copyright, /zstd-napi|usb-detection/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('passes lintian but for the tags the README explains', { skip: noLintian }, () => {
    const result = spawnSync('lintian', ['--display-info', deb()], { encoding: 'utf8', timeout: 60_000 });
    const tags = [...result.stdout.matchAll(/^([EWI]): usb-updater: (\S+)/gm)].map((m) => ({ level: m[1], tag: m[2] ?? '' }));
    assert.deepEqual(tags.filter((t) => t.level === 'E'), [], result.stdout);
    const readme = readFileSync(`${REPO}README.md`, 'utf8');
    for (const { tag } of tags) assert.ok(readme.includes(`\`${tag}\``), `lintian tag ${tag} is not explained in the README:\n${result.stdout}`);
  });
});
