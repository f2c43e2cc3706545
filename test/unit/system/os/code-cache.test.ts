// The packaged program's start through V8's code cache: a small CommonJS main file run by
// runCachedBundle in a child process (it runs code in its own context and writes at exit), the cache
// written, then accepted; and every cache that must not reach V8 (another build, another copy of the
// main file, cut short, corrupted, in a folder others may write, a link) refused and replaced,
// the program's output and exit code the same whatever the cache did.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cacheFileName, codeCacheDir, decodeCache, encodeCache, identityOf, untrusted, DEFAULT_CODE_CACHE_DIR } from '../../../../src/system/os/code-cache.js';
import { crc32 } from 'node:zlib';
import { withTempDir } from '../../../support/harness/temp.js';

const MODULE = new URL('../../../../src/system/os/code-cache.js', import.meta.url).href;
const SHA = 'ab'.repeat(32);
const crcHex = (text: string): string => crc32(text).toString(16).padStart(8, '0');
const nameFor = (dir: string, sha = SHA, v8 = process.versions.v8): string => cacheFileName(sha, join(dir, 'app', 'main.cjs'), v8, process.arch);
const NAME = cacheFileName(SHA, '/main.cjs', process.versions.v8, process.arch);

/** A main file that uses what CommonJS gives it, prints, and sets its exit code; `linger` keeps it running. */
const MAIN = `'use strict';
const { basename } = require('node:path');
const strict = (function () { return this === undefined; })();
const wait = Number(process.env.LINGER_MS ?? 0);
setTimeout(() => {
  process.stdout.write(JSON.stringify({ file: basename(__filename), dir: basename(__dirname), strict, exportsIsThis: this === module.exports }) + '\\n');
  process.exitCode = 3;
}, wait);
`;

interface Run { code: number | null; stdout: string; debug: string[] }

function run(dir: string, cacheDir: string | null, env: Record<string, string> = {}): Run {
  const runner = `import { readMain, runCachedBundle } from ${JSON.stringify(MODULE)};
runCachedBundle({ main: readMain(${JSON.stringify(join(dir, 'app', 'main.cjs'))}), sha256: ${JSON.stringify(SHA)}, dir: ${JSON.stringify(cacheDir)}, writeAfterMs: Number(process.env.WRITE_AFTER_MS ?? 60000) });`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', runner], { encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'usb-updater', ...env }, timeout: 20_000 });
  const debug = result.stderr.split('\n').filter((l) => l.startsWith('USB-UPDATER ')).map((l) => l.replace(/^USB-UPDATER \d+: /, ''));
  return { code: result.status, stdout: result.stdout, debug };
}

function withApp(work: (dir: string, cache: string) => void): Promise<void> {
  return withTempDir((dir) => {
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app', 'main.cjs'), MAIN);
    work(dir, join(dir, 'cache'));
    return Promise.resolve();
  });
}

const EXPECTED = `${JSON.stringify({ file: 'main.cjs', dir: 'app', strict: true, exportsIsThis: true })}\n`;

/** The run printed what the main file prints and kept its exit code. */
function ranAsItself(result: Run): void {
  assert.equal(result.stdout, EXPECTED, result.debug.join('\n'));
  assert.equal(result.code, 3, result.debug.join('\n'));
}

describe('codeCacheDir', () => {
  it('is /var/cache/usb-updater by default, none with off, and an absolute folder as given', () => {
    assert.equal(codeCacheDir({}), DEFAULT_CODE_CACHE_DIR);
    assert.equal(codeCacheDir({ USB_UPDATER_CODE_CACHE: '' }), DEFAULT_CODE_CACHE_DIR);
    assert.equal(codeCacheDir({ USB_UPDATER_CODE_CACHE: 'off' }), null);
    assert.equal(codeCacheDir({ USB_UPDATER_CODE_CACHE: 'relative/dir' }), null);
    assert.equal(codeCacheDir({ USB_UPDATER_CODE_CACHE: '/data/cache' }), '/data/cache');
  });
});

describe('the cache file', () => {
  const main = { dev: 1, ino: 2, size: 3, mtimeMs: 4.5 };
  const data = Buffer.from('v8 data \x00\x01\x02');

  it('is named by the build, V8 and the architecture, and reads back as written', () => {
    assert.equal(cacheFileName(SHA, '/usr/lib/usb-updater/usb-updater-main.cjs', '11.3.244.8-node.38', 'arm64'), `usb-updater-${'ab'.repeat(8)}-${crcHex('/usr/lib/usb-updater/usb-updater-main.cjs')}-11.3.244.8-node.38-arm64.v8cache`);
    assert.equal(cacheFileName(SHA, '/m', 'a/b c', 'x64'), `usb-updater-${'ab'.repeat(8)}-${crcHex('/m')}-a_b_c-x64.v8cache`);
    assert.notEqual(cacheFileName(SHA, '/a/main.cjs', 'v', 'x64'), cacheFileName(SHA, '/b/main.cjs', 'v', 'x64'));
    const decoded = decodeCache(encodeCache({ key: NAME, main }, data), NAME, main);
    assert.ok('data' in decoded);
    assert.ok(decoded.data.equals(data));
  });

  it('is refused, with the reason, when made for something else or damaged', () => {
    const bytes = encodeCache({ key: NAME, main }, data);
    const reason = (b: Buffer, key = NAME, m = main): string => {
      const decoded = decodeCache(b, key, m);
      assert.ok('reason' in decoded);
      return decoded.reason;
    };
    assert.equal(reason(Buffer.from('garbage\n')), 'not a cache file');
    assert.equal(reason(Buffer.alloc(100)), 'not a cache file');
    assert.equal(reason(Buffer.from('usb-updater code cache 1 {not json\n')), 'unreadable header');
    assert.equal(reason(bytes, 'other.v8cache'), 'made for another build');
    assert.equal(reason(bytes, NAME, { ...main, ino: 9 }), 'made for another copy of the main file');
    assert.equal(reason(bytes, NAME, { ...main, mtimeMs: 4 }), 'made for another copy of the main file');
    assert.equal(reason(bytes.subarray(0, bytes.length - 1)), `cut short (${data.length - 1} of ${data.length} bytes)`);
    const flipped = Buffer.from(bytes);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 1, flipped.length - 1);
    assert.equal(reason(flipped), 'checksum mismatch');
  });

  it('and its folder are trusted only when none but the owner (root or this user) may write them', () => {
    const stats = (uid: number, mode: number) => ({ uid, mode }) as unknown as Stats;
    assert.equal(untrusted(stats(0, 0o40755), 1000), null);
    assert.equal(untrusted(stats(1000, 0o100644), 1000), null);
    assert.equal(untrusted(stats(1001, 0o100644), 1000), 'owned by uid 1001');
    assert.equal(untrusted(stats(0, 0o40775), 0), 'writable by others (mode 775)');
    assert.equal(untrusted(stats(0, 0o100646), 0), 'writable by others (mode 646)');
  });
});

describe('runCachedBundle', () => {
  it('runs the main file as CommonJS, writes the cache at exit, and the next run takes it', () => withApp((dir, cache) => {
    const first = run(dir, cache);
    ranAsItself(first);
    assert.deepEqual(first.debug.slice(0, 1), ['code cache: none']);
    assert.match(first.debug[1] ?? '', new RegExp(`^code cache ${join(cache, nameFor(dir))}: written \\(\\d+ bytes\\)$`));
    assert.deepEqual(readdirSync(cache), [nameFor(dir)]);
    assert.equal(statSync(cache).mode & 0o777, 0o755);
    assert.equal(statSync(join(cache, nameFor(dir))).mode & 0o777, 0o644);
    const second = run(dir, cache);
    ranAsItself(second);
    assert.deepEqual(second.debug, ['code cache: accepted']);
  }));

  it('writes the cache of a process still running after writeAfterMs, before it exits', () => withApp((dir, cache) => {
    const result = run(dir, cache, { LINGER_MS: '1500', WRITE_AFTER_MS: '100' });
    ranAsItself(result);
    // Written by the timer: the main file's output comes after it.
    assert.match(result.debug[1] ?? '', /: written/);
    assert.equal(result.debug.length, 2);
  }));

  it('refuses a damaged cache, another build\'s or another copy\'s, and writes its own in its place', () => withApp((dir, cache) => {
    run(dir, cache);
    const file = join(cache, nameFor(dir));
    const good = readFileSync(file);
    const damaged = Buffer.from(good);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 10) ^ 0xff, damaged.length - 10);
    writeFileSync(file, damaged);
    let result = run(dir, cache);
    ranAsItself(result);
    assert.equal(result.debug[0], `code cache ${file}: not used: checksum mismatch`);
    assert.match(result.debug.at(-1) ?? '', /: written/);
    assert.deepEqual(run(dir, cache).debug, ['code cache: accepted']);

    // The main file replaced by a copy of itself (as dpkg does: a new file renamed in).
    copyFileSync(join(dir, 'app', 'main.cjs'), join(dir, 'app', 'main.new'));
    renameSync(join(dir, 'app', 'main.new'), join(dir, 'app', 'main.cjs'));
    result = run(dir, cache);
    ranAsItself(result);
    assert.equal(result.debug[0], `code cache ${file}: not used: made for another copy of the main file`);
    assert.deepEqual(run(dir, cache).debug, ['code cache: accepted']);
  }));

  it('lets V8 refuse data that passes our checks, and writes good data in its place', () => withApp((dir, cache) => {
    mkdirSync(cache);
    const file = join(cache, nameFor(dir));
    writeFileSync(file, encodeCache({ key: nameFor(dir), main: identityOf(statSync(join(dir, 'app', 'main.cjs'))) }, Buffer.alloc(4096, 0x5a)));
    const result = run(dir, cache);
    ranAsItself(result);
    assert.deepEqual(result.debug.slice(0, 1), ['code cache: rejected by V8']);
    assert.deepEqual(run(dir, cache).debug, ['code cache: accepted']);
  }));

  it('neither reads nor writes a folder others may write, and follows no link to a cache', () => withApp((dir, cache) => {
    mkdirSync(cache);
    chmodSync(cache, 0o777);
    let result = run(dir, cache);
    ranAsItself(result);
    assert.ok(result.debug.includes(`code cache folder ${cache}: not used: writable by others (mode 777)`), result.debug.join('\n'));
    assert.deepEqual(readdirSync(cache), []);

    chmodSync(cache, 0o755);
    run(dir, cache);
    renameSync(join(cache, nameFor(dir)), join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), join(cache, nameFor(dir)));
    result = run(dir, cache);
    ranAsItself(result);
    assert.equal(result.debug[0], `code cache ${join(cache, nameFor(dir))}: ELOOP`);
  }));

  it('runs the same with no cache folder to be had, and with the cache off', () => withApp((dir) => {
    writeFileSync(join(dir, 'file'), '');
    const blocked = run(dir, join(dir, 'file', 'cache'));
    ranAsItself(blocked);
    assert.match(blocked.debug.at(-1) ?? '', /not written|ENOTDIR|EEXIST/);
    const off = run(dir, null);
    ranAsItself(off);
    assert.deepEqual(off.debug, ['code cache: none']);
  }));

  it('removes the caches of other builds at its path and stale temporary files when it writes its own, and nothing else', () => withApp((dir, cache) => {
    mkdirSync(cache);
    // Another build and another Node at this path go; another copy's (another path) stays.
    const others = [nameFor(dir, 'cd'.repeat(32)), nameFor(dir, SHA, '10.2.154.26-node.26')];
    const copy = cacheFileName(SHA, '/elsewhere/main.cjs', process.versions.v8, process.arch);
    for (const name of [...others, copy, '.usb-updater-old.v8cache.123.tmp', '.usb-updater-new.v8cache.456.tmp', 'README']) writeFileSync(join(cache, name), 'x');
    const hourAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(join(cache, '.usb-updater-old.v8cache.123.tmp'), hourAgo, hourAgo);
    ranAsItself(run(dir, cache));
    assert.deepEqual(readdirSync(cache).sort(), ['.usb-updater-new.v8cache.456.tmp', 'README', copy, nameFor(dir)].sort());
    assert.ok(existsSync(join(cache, nameFor(dir))));
  }));
});
