// The packaged program's start through V8's code cache: the bundle's main file is compiled with the
// bytecode an earlier run of the same file on the same Node left, instead of parsing 1.9 MB again
// (about 50 ms of every command's start here, several times that on a device's CPU).
// Node 20 has no compile cache of its own (module.enableCompileCache is Node 22), so this does what
// it does: vm.Script with `cachedData`, and `createCachedData()` written back when there was none.
// The cache is an optimisation only: whatever goes wrong with it, the program runs as without it.

import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { debuglog } from 'node:util';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

/** `NODE_DEBUG=usb-updater` prints what the cache did (tests read it). */
const debug = debuglog('usb-updater');

/** Where the caches live unless USB_UPDATER_CODE_CACHE says otherwise (`off`: none). */
export const DEFAULT_CODE_CACHE_DIR = '/var/cache/usb-updater';
/** A cache is a few hundred KiB; anything far larger is not one of ours. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;
const MAGIC = 'usb-updater code cache 1 ';
/** A cache file's name: the build, the main file's path (as a crc32), V8 and the architecture. */
const NAME = /^usb-updater-[0-9a-f]{16}-([0-9a-f]{8})-.+\.v8cache$/;
const TEMP = /^\.usb-updater-.+\.tmp$/;
/** A temporary file this old was left by a writer that died: removed when the next cache is written. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/**
 * CommonJS's wrapper, on the main file's first line: the build strips the file's `#!` line (V8 takes
 * one only at the very start of a script) and keeps it ASCII, so it is read as latin1, a plain copy.
 */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {';
const WRAPPER_END = '\n})';

/** The main file's identity when the cache was made: a file replaced (dpkg renames a new one in) is another file. */
export interface FileIdentity { dev: number; ino: number; size: number; mtimeMs: number }

export interface CacheMeta {
  /** The cache's file name (cacheFileName). */
  key: string;
  main: FileIdentity;
  length: number;
  crc32: number;
}

/** The main file as read (readMain): its path, its text and its identity. */
export interface MainFile { path: string; source: string; identity: FileIdentity }

export interface CachedRunOptions {
  /** The bundle's main file: CommonJS, ASCII, no `#!` line (.ci/package.mjs). */
  main: MainFile;
  /** Its SHA-256, written into the launcher by the build. */
  sha256: string;
  /** The cache folder, or null for none (codeCacheDir). */
  dir: string | null;
  /** A process still running this long after its start writes the cache it had not (the daemon). */
  writeAfterMs?: number;
}

/** The folder from USB_UPDATER_CODE_CACHE: unset or empty, the default; `off`, none; else that (absolute) folder. */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | null {
  const value = env.USB_UPDATER_CODE_CACHE;
  if (value === undefined || value === '') return DEFAULT_CODE_CACHE_DIR;
  if (value === 'off' || !value.startsWith('/')) return null;
  return value;
}

/**
 * The main file's path is in the name: two copies of one build on a machine (a test's, a
 * benchmark's) each keep their own cache instead of replacing each other's at every run.
 */
export function cacheFileName(sha256: string, main: string, v8: string, arch: string): string {
  const path = crc32(main).toString(16).padStart(8, '0');
  return `usb-updater-${sha256.slice(0, 16)}-${path}-${v8.replace(/[^0-9A-Za-z.-]/g, '_')}-${arch}.v8cache`;
}

export const identityOf = (stats: Stats): FileIdentity => ({ dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs });

/** The file's bytes: one header line (MAGIC and the meta as JSON), then V8's data. */
export function encodeCache(meta: Omit<CacheMeta, 'length' | 'crc32'>, data: Buffer): Buffer {
  const header = `${MAGIC}${JSON.stringify({ ...meta, length: data.length, crc32: crc32(data) })}\n`;
  return Buffer.concat([Buffer.from(header, 'latin1'), data]);
}

/**
 * V8's data from a cache file made for `key` and `main`, or why it is not usable. V8 itself checks
 * its version, its flags and the source's length; the identity and the checksum here keep a cache
 * of another copy of the file, or a torn or damaged one, from ever reaching its deserializer.
 */
export function decodeCache(bytes: Buffer, key: string, main: FileIdentity): { data: Buffer } | { reason: string } {
  const newline = bytes.indexOf(10);
  if (newline < 0 || newline > 4096 || !bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC, 'latin1'))) return { reason: 'not a cache file' };
  let meta: Partial<CacheMeta>;
  try {
    meta = JSON.parse(bytes.subarray(MAGIC.length, newline).toString('latin1')) as Partial<CacheMeta>;
  } catch {
    return { reason: 'unreadable header' };
  }
  if (meta.key !== key) return { reason: 'made for another build' };
  const m = meta.main;
  if (m?.dev !== main.dev || m.ino !== main.ino || m.size !== main.size || m.mtimeMs !== main.mtimeMs) return { reason: 'made for another copy of the main file' };
  const data = bytes.subarray(newline + 1);
  if (data.length !== meta.length) return { reason: `cut short (${data.length} of ${String(meta.length)} bytes)` };
  if (crc32(data) !== meta.crc32) return { reason: 'checksum mismatch' };
  return { data };
}

/**
 * Why a folder or file may not be trusted with code, or null: only its owner (root or this user)
 * may write it, as with any other file that holds code run as root.
 */
export function untrusted(stats: Stats, euid: number): string | null {
  if (stats.uid !== 0 && stats.uid !== euid) return `owned by uid ${stats.uid}`;
  if ((stats.mode & 0o022) !== 0) return `writable by others (mode ${(stats.mode & 0o777).toString(8)})`;
  return null;
}

const errnoOf = (err: unknown): string => (err as NodeJS.ErrnoException | null)?.code ?? String(err);

/**
 * The cache file whole, or null. The same careful read as readBoundedFile (./files.ts: O_NOFOLLOW,
 * O_NONBLOCK, fstat, a bound), plus the owner and mode a file of code needs, but synchronous and
 * without the errors module files.ts loads: it runs before anything else, at every start.
 */
function readCache(file: string, euid: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') debug('code cache %s: %s', file, errnoOf(err));
    return null;
  }
  try {
    const stats = fstatSync(fd);
    const refused = !stats.isFile() ? 'not a regular file' : stats.size > MAX_CACHE_BYTES ? `${stats.size} bytes` : untrusted(stats, euid);
    if (refused !== null) {
      debug('code cache %s: not used: %s', file, refused);
      return null;
    }
    const bytes = Buffer.alloc(stats.size);
    let length = 0;
    while (length < bytes.length) {
      const read = readSync(fd, bytes, length, bytes.length - length, length);
      if (read === 0) break;
      length += read;
    }
    return bytes.subarray(0, length);
  } catch (err) {
    debug('code cache %s: %s', file, errnoOf(err));
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The folder, made if missing, when it may hold code; else null (said in the debug log). */
function trustedDir(dir: string, euid: number, make: boolean): string | null {
  try {
    if (make) mkdirSync(dir, { recursive: true, mode: 0o755 });
    const stats = statSync(dir);
    const refused = stats.isDirectory() ? untrusted(stats, euid) : 'not a folder';
    if (refused === null) return dir;
    debug('code cache folder %s: not used: %s', dir, refused);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') debug('code cache folder %s: %s', dir, errnoOf(err));
  }
  return null;
}

/** Writes the cache beside a temporary name, synced, then renamed in: a power cut leaves the old file or the new, whole. */
function writeCache(dir: string, name: string, bytes: Buffer, euid: number): void {
  if (trustedDir(dir, euid, true) === null) return;
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(dir, name));
    debug('code cache %s: written (%d bytes)', join(dir, name), bytes.length);
  } catch (err) {
    debug('code cache %s: not written: %s', join(dir, name), errnoOf(err));
    try { unlinkSync(temp); } catch { /* not made */ }
    return;
  }
  pruneOthers(dir, name);
}

/**
 * Caches of other builds or Nodes at the same path (one per upgrade would pile up), and temporary
 * files of dead writers. Another path's cache is another copy's, left alone.
 */
function pruneOthers(dir: string, keep: string): void {
  const ownPath = NAME.exec(keep)?.[1];
  try {
    for (const entry of readdirSync(dir)) {
      if (entry === keep) continue;
      const path = join(dir, entry);
      if (NAME.exec(entry)?.[1] === ownPath || (TEMP.test(entry) && Date.now() - statSync(path).mtimeMs > STALE_TEMP_MS)) unlinkSync(path);
    }
  } catch (err) {
    debug('code cache folder %s: not pruned: %s', dir, errnoOf(err));
  }
}

/**
 * The main file's bytes and identity from one descriptor: a file replaced meanwhile (an upgrade)
 * must not get a cache recorded under the new file's identity for the old file's code. Throws when
 * it cannot be read (the caller says so and stops).
 */
export function readMain(path: string): MainFile {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    return { path, identity: identityOf(fstatSync(fd)), source: readFileSync(fd, 'latin1') };
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs the bundle's main file as CommonJS in this process, with the code cache when there is a
 * good one. Without one (or with one V8 rejects: another Node, other V8 flags), the cache is written
 * when the process exits, or `writeAfterMs` after the start for one that keeps running.
 */
export function runCachedBundle(options: CachedRunOptions): void {
  const { path: main, source, identity } = options.main;
  const euid = process.geteuid?.() ?? 0;
  const name = cacheFileName(options.sha256, main, process.versions.v8, process.arch);
  const dir = options.dir === null ? null : trustedDir(options.dir, euid, false);
  let cachedData: Buffer | undefined;
  try {
    const bytes = dir === null ? null : readCache(join(dir, name), euid);
    if (bytes !== null) {
      const decoded = decodeCache(bytes, name, identity);
      if ('data' in decoded) cachedData = decoded.data;
      else debug('code cache %s: not used: %s', join(dir ?? '', name), decoded.reason);
    }
  } catch (err) {
    debug('code cache: %s', errnoOf(err));
  }
  const script = new Script(`${WRAPPER_START}${source}${WRAPPER_END}`, { filename: main, cachedData });
  const accepted = cachedData !== undefined && !script.cachedDataRejected;
  debug('code cache: %s', accepted ? 'accepted' : cachedData === undefined ? 'none' : 'rejected by V8');
  if (!accepted && options.dir !== null) {
    const meta = { key: name, main: identity };
    const cacheDir = options.dir;
    let done = false;
    const write = (): void => {
      if (done) return;
      done = true;
      // After the run, the data holds the functions it compiled too, not only the top level.
      try {
        writeCache(cacheDir, name, encodeCache(meta, script.createCachedData()), euid);
      } catch (err) {
        // Never the program's failure: at exit, a throw here would replace its exit code.
        debug('code cache: not written: %s', errnoOf(err));
      }
    };
    process.once('exit', write);
    if (options.writeAfterMs !== undefined) setTimeout(write, options.writeAfterMs).unref();
  }
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, createRequire(main), module, main, dirname(main));
}
