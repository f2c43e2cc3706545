// `npm run package`: the CLI as one bundled file (esbuild) and the Debian package that installs it.
// Usage: node .ci/package.mjs [--out DIR] [--no-deb]; DIR defaults to dist/package. Prints the absolute
// path of each file it wrote. The package's data (control, maintainer scripts, copyright, changelog) is in udev/debian/.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DEBIAN = join(REPO, 'udev/debian');
// The executable: a small launcher that runs the main file, which holds the program and the npm packages.
const BUNDLE_NAME = 'usb-updater.mjs';
const MAIN_NAME = 'usb-updater-main.cjs';
// The USB monitor's child process: its own small file beside the bundle, so that the child loads the
// addon and this file only, never the whole bundle (src/system/media/usb-monitor.ts).
const USB_MONITOR_CHILD = 'usb-monitor-child.mjs';
const LIB_DIR = 'usr/lib/usb-updater';
const UNITS = ['usb-updater.service', 'usb-updater-health.service', 'usb-updater-mount@.service'];
const RULE = '99-usb-updater.rules';
// Native addons: never bundled (a bundle cannot hold a .node file, and the package is
// Architecture: all). The code loads them lazily and works without them (README "Install on a device").
const NATIVE_ADDONS = ['zstd-napi', 'usb-detection'];
/** What every file built here shares: Node 20.19's JavaScript, with the npm packages bundled in. */
const NODE_BUILD = { absWorkingDir: REPO, bundle: true, platform: 'node', target: 'node20.19', logLevel: 'warning' };

/** The version from package.json; a semver pre-release (1.0.0-rc.1) sorts before its release in Debian as 1.0.0~rc.1. */
function versions() {
  const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  return { npm: version, debian: version.replace('-', '~') };
}

/**
 * The program's main file as CommonJS, ready for src/system/os/code-cache.ts: no `#!` line (V8 takes
 * one only at the very start of a script, and the launcher wraps the file), and ASCII only. esbuild
 * escapes every string, regular expression and name (its default charset); what it leaves is in
 * comments, escaped here as text, so the launcher reads the file as latin1, a plain copy, and V8
 * keeps it as a one-byte string (half the memory of a two-byte one).
 */
function mainFileText(text) {
  const body = text.startsWith('#!') ? text.slice(text.indexOf('\n') + 1) : text;
  return body.replace(/[\u0080-\u{10ffff}]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
}

/**
 * Bundles src/cli/bin.ts (TypeScript, no tsc step needed) into one CommonJS file, the main file, and
 * src/cli/launcher.ts into the small ES module that is the executable: it runs the main file through
 * V8's code cache. Returns the paths and esbuild's metafile of the main file.
 */
async function bundle(out, version) {
  const main = join(out, MAIN_NAME);
  const result = await build({
    // absWorkingDir: the metafile's input paths are relative to it, whatever the caller's working folder.
    ...NODE_BUILD,
    entryPoints: [join(REPO, 'src/cli/bin.ts')],
    outfile: main,
    write: false,
    format: 'cjs',
    external: NATIVE_ADDONS,
    // import() of an external (zstd-napi) as require(): the launcher's vm.Script has no loader for import().
    supported: { 'dynamic-import': false },
    inject: [join(REPO, '.ci/import-meta-url.mjs')],
    define: { USB_UPDATER_BUNDLE: JSON.stringify({ version }), 'import.meta.url': 'importMetaUrl' },
    // Licence comments of the bundled packages go to the end of the file, kept.
    legalComments: 'eof',
    metafile: true,
  });
  const mainText = mainFileText(result.outputFiles[0].text);
  writeFileSync(main, mainText);
  chmodSync(main, 0o644);
  const file = join(out, BUNDLE_NAME);
  await build({
    ...NODE_BUILD,
    entryPoints: [join(REPO, 'src/cli/launcher.ts')],
    outfile: file,
    format: 'esm',
    // Part of the code cache's key: a cache made for other bytes is never offered to V8.
    define: { USB_UPDATER_MAIN: JSON.stringify({ file: `./${MAIN_NAME}`, sha256: createHash('sha256').update(mainText).digest('hex') }) },
  });
  chmodSync(file, 0o755);
  const child = join(out, USB_MONITOR_CHILD);
  await build({ ...NODE_BUILD, entryPoints: [join(REPO, 'src/system/media/usb-monitor-child.ts')], outfile: child, format: 'esm', external: NATIVE_ADDONS });
  return { file, main, child, metafile: result.metafile };
}

const isCopyrightLine = (line) => /^\s*copyright\s+(\(c\)|©|\d)/i.test(line);

/** The npm packages whose code is in the bundle: folder, name, version, licence, from esbuild's list of inputs. */
function bundledPackages(metafile) {
  const folders = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const parts = input.slice(at + 'node_modules/'.length).split('/');
    const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    folders.add(join(REPO, input.slice(0, at), 'node_modules', name));
  }
  return [...folders].map((folder) => {
    const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    if (typeof pkg.license !== 'string') throw new Error(`${pkg.name}: no SPDX licence in its package.json; say how it is licensed in udev/debian/copyright`);
    // xz-decompress ships no LICENSE file: its copyright line is then its package.json author.
    const licenceFile = readdirSync(folder).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f));
    const text = licenceFile === undefined ? '' : readFileSync(join(folder, licenceFile), 'utf8');
    const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
    const holders = text.split('\n').filter(isCopyrightLine).map((l) => l.trim());
    if (holders.length === 0 && author !== undefined) holders.push(`Copyright ${author}`);
    return { name: pkg.name, version: pkg.version, license: pkg.license, text, holders };
  }).sort((a, b) => a.name.localeCompare(b.name));
}

/** A text as a DEP-5 field continuation: each line indented, blank lines as " .". */
const continuation = (text) => text.trim().split('\n').map((line) => (line.trim() === '' ? ' .' : ` ${line.trimEnd()}`)).join('\n');

/**
 * udev/debian/copyright plus one paragraph for the bundle: every bundled package with its version,
 * licence and copyright lines, and the text of each licence other than Apache-2.0 (which Debian
 * ships in /usr/share/common-licenses), taken from the first package under it with its own
 * copyright lines left out.
 */
function copyrightFile(packages) {
  const holders = packages.flatMap((p) => p.holders);
  const licences = [...new Set(packages.map((p) => p.license))].filter((l) => l !== 'Apache-2.0').sort();
  const bundlePara = [
    `Files: ${LIB_DIR}/${BUNDLE_NAME} ${LIB_DIR}/${MAIN_NAME}`,
    `Copyright: 2026 The usb-updater authors\n${continuation([...new Set(holders)].join('\n'))}`,
    `License: Apache-2.0 and ${licences.join(' and ')}`,
    `Comment: The bundle holds usb-updater and these npm packages:\n${continuation(packages.map((p) => `${p.name} ${p.version} (${p.license})`).join('\n'))}`,
  ].join('\n');
  const texts = licences.map((licence) => {
    const text = packages.find((p) => p.license === licence && p.text !== '')?.text ?? '';
    if (text === '') throw new Error(`no bundled package under ${licence} ships its text: add it to udev/debian/copyright`);
    const body = text.split('\n').filter((l) => !isCopyrightLine(l) && !/^\s*(the )?(mit|isc) licen[cs]e\s*(\(mit\))?\s*$/i.test(l)).join('\n');
    return `License: ${licence}\n${continuation(body)}`;
  });
  return [readFileSync(join(DEBIAN, 'copyright'), 'utf8').trimEnd(), bundlePara, ...texts].join('\n\n') + '\n';
}

/** The top entry of udev/debian/changelog must be this version: the package says what it is. */
function checkedChangelog(version) {
  const text = readFileSync(join(DEBIAN, 'changelog'), 'utf8');
  const top = /^usb-updater \(([^)]+)\)/.exec(text)?.[1];
  if (top !== version) throw new Error(`udev/debian/changelog starts with version ${top ?? '(none)'}, package.json says ${version}: add an entry`);
  const date = /^ -- .+? {2}(.+)$/m.exec(text)?.[1];
  return { text, epoch: Math.floor(Date.parse(date ?? '') / 1000) };
}

/** Roff for text shown as it is: backslashes, leading dots and quotes escaped, hyphens as minus signs. */
const roffLiteral = (text) => text.trimEnd().split('\n').map((line) => line.replaceAll('\\', '\\e').replaceAll('-', '\\-').replace(/^[.']/, '\\&$&')).join('\n');

/**
 * The manual page, made from the bundle's own --help texts (the commands' options and exit codes
 * are written once, in src/cli), so that it cannot drift from the program.
 */
function manualPage(bundleFile, version, date) {
  // No code cache on the build machine: it is the device's own (src/system/os/code-cache.ts).
  const help = (...args) => run(process.execPath, [bundleFile, ...args, '--help'], { env: { ...process.env, USB_UPDATER_CODE_CACHE: 'off' } });
  const commands = ['inspect', 'check', 'install', 'status', 'reports', 'health', 'watch', 'daemon', 'config check', 'config schema', 'diagnostics request'];
  return [
    `.TH USB\\-UPDATER 1 "${date}" "usb\\-updater ${version}" "User Commands"`,
    '.SH NAME',
    'usb\\-updater \\- install Mender artifacts from USB sticks (standalone mode)',
    '.SH SYNOPSIS',
    '.B usb\\-updater',
    '.I command',
    '.RI [ options ]',
    '.SH DESCRIPTION',
    '.nf',
    roffLiteral(help()),
    '.fi',
    '.SH COMMANDS',
    ...commands.flatMap((command) => [`.SS ${command}`, '.nf', roffLiteral(help(...command.split(' '))), '.fi']),
    '.SH FILES',
    '.TP',
    '.I /etc/usb\\-updater/config.yaml',
    'The configuration: every key is documented in the file itself.',
    '.SH SEE ALSO',
    '.BR mender (1),',
    '.BR systemctl (1);',
    'the units',
    '.IR usb\\-updater.service ,',
    '.I usb\\-updater\\-health.service',
    'and',
    '.IR usb\\-updater\\-mount@.service .',
    '',
  ].join('\n');
}

function put(root, path, content, mode) {
  const target = join(root, path);
  mkdirSync(dirname(target), { recursive: true });
  if (typeof content === 'string' || Buffer.isBuffer(content)) writeFileSync(target, content);
  else copyFileSync(content.from, target);
  chmodSync(target, mode);
}

/** Every regular file under `dir`, relative to it. */
function filesUnder(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = join(prefix, entry.name);
    return entry.isDirectory() ? filesUnder(dir, path) : entry.isFile() ? [path] : [];
  });
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error !== undefined) throw new Error(`${command} cannot run (${result.error.message}): apt-get install dpkg`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** Lays out the package's files in a scratch root and builds `usb-updater_<version>_all.deb` in `out`. */
function debianPackage(out, versions, bundled) {
  const changelog = checkedChangelog(versions.debian);
  const root = mkdtempSync(join(tmpdir(), 'usb-updater-deb-'));
  try {
    put(root, `${LIB_DIR}/${BUNDLE_NAME}`, { from: bundled.file }, 0o755);
    put(root, `${LIB_DIR}/${MAIN_NAME}`, { from: bundled.main }, 0o644);
    put(root, `${LIB_DIR}/${USB_MONITOR_CHILD}`, { from: bundled.child }, 0o644);
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    symlinkSync(`../lib/usb-updater/${BUNDLE_NAME}`, join(root, 'usr/bin/usb-updater'));
    for (const unit of UNITS) put(root, `usr/lib/systemd/system/${unit}`, { from: join(REPO, 'udev', unit) }, 0o644);
    put(root, `usr/lib/udev/rules.d/${RULE}`, { from: join(REPO, 'udev', RULE) }, 0o644);
    put(root, 'etc/usb-updater/config.yaml', { from: join(REPO, 'config/config.yaml') }, 0o644);
    put(root, 'usr/share/doc/usb-updater/copyright', copyrightFile(bundledPackages(bundled.metafile)), 0o644);
    // A native package (no Debian revision) installs its changelog as changelog.gz, without a timestamp in the gzip header.
    put(root, 'usr/share/doc/usb-updater/changelog.gz', gzipSync(changelog.text, { level: 9 }), 0o644);
    const manual = manualPage(bundled.file, versions.debian, new Date(changelog.epoch * 1000).toISOString().slice(0, 10));
    put(root, 'usr/share/man/man1/usb-updater.1.gz', gzipSync(manual, { level: 9 }), 0o644);

    const files = filesUnder(root);
    const md5sums = files.sort().map((f) => `${createHash('md5').update(readFileSync(join(root, f))).digest('hex')}  ${f}`).join('\n') + '\n';
    const kib = files.reduce((sum, f) => sum + Math.ceil(lstatSync(join(root, f)).size / 1024), 0);
    const control = readFileSync(join(DEBIAN, 'control'), 'utf8').replace('@VERSION@', versions.debian).replace('@INSTALLED_SIZE@', String(kib));
    put(root, 'DEBIAN/control', control, 0o644);
    put(root, 'DEBIAN/md5sums', md5sums, 0o644);
    put(root, 'DEBIAN/conffiles', '/etc/usb-updater/config.yaml\n', 0o644);
    for (const script of ['postinst', 'prerm', 'postrm']) put(root, `DEBIAN/${script}`, { from: join(DEBIAN, script) }, 0o755);
    // The folders dpkg creates take their mode from here, whatever the umask was.
    for (const dir of run('find', [root, '-type', 'd']).trim().split('\n')) chmodSync(dir, 0o755);

    const deb = join(out, `usb-updater_${versions.debian}_all.deb`);
    // SOURCE_DATE_EPOCH (the changelog's date) caps the timestamps in the archive: the same tree gives the same bytes.
    run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb], { env: { ...process.env, SOURCE_DATE_EPOCH: String(changelog.epoch) } });
    return deb;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-deb': { type: 'boolean', default: false } } });
  const out = resolve(values.out ?? join(REPO, 'dist/package'));
  mkdirSync(out, { recursive: true });
  const version = versions();
  const bundled = await bundle(out, version.npm);
  process.stdout.write(`${bundled.file}\n${bundled.main}\n${bundled.child}\n`);
  if (values['no-deb']) return;
  const deb = debianPackage(out, version, bundled);
  process.stdout.write(`${deb}\n`);
}

main().catch((err) => {
  process.stderr.write(`package: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
