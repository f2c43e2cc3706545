// Writing the report onto the stick, the one time usb-updater writes to a stick. The stick stays
// mounted read-only for everything else; here it is remounted read-write, the two files written
// under temp names, fsynced and renamed into a folder that must not be a link, and remounted
// read-only in any case. A stick that is full, write-protected, pulled out or swapped for another is
// logged and returned as a result, never thrown: a report must never fail an update.

import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { renderReportJson, renderReportText, reportBaseName, type Report } from '../../feedback/index.js';
import { parseMountInfo } from '../../media/index.js';
import type { Logger } from '../../log/index.js';
import { readMountTable } from '../media/mount-table.js';
import { runCommand, type CommandResult, type RunOptions } from '../os/process.js';

/** What writing a report needs from the system; tests inject faults (a hung write, a full stick). */
export interface StickReportSystem {
  /** The text of /proc/self/mountinfo. */
  mountTable(): Promise<string>;
  run(command: string, args: readonly string[], options: RunOptions): Promise<CommandResult>;
  fs: Pick<typeof fsp, 'open' | 'mkdir' | 'rename' | 'unlink' | 'lstat' | 'stat' | 'readdir' | 'rmdir'>;
}

export const realStickReportSystem: StickReportSystem = { mountTable: () => readMountTable(), run: runCommand, fs: fsp };

export interface StickReportOptions {
  /** The folder at the root of the stick (config `report.folder`). */
  folder?: string;
  /** The whole write, remounts included; a stick that hangs longer is given up. */
  timeoutMs?: number;
}

export const DEFAULT_REPORT_FOLDER = 'usb-updater-reports';
const DEFAULT_TIMEOUT_MS = 30_000;
const REMOUNT_TIMEOUT_MS = 10_000;

export type NotWrittenReason = 'gone' | 'swapped' | 'write-protected' | 'no-space' | 'unsafe-folder' | 'timeout' | 'io-error';

export type StickReportResult =
  /**
   * `files`: the paths written. `readOnlyAgain`: after our remount read-write, the stick is
   * read-only again (or gone); false: see the log; null: it was not remounted by us.
   */
  | { status: 'written'; files: string[]; readOnlyAgain: boolean | null }
  | { status: 'not-written'; reason: NotWrittenReason; errno: string | null; message: string; readOnlyAgain: boolean | null };

export class NotWritten extends Error {
  constructor(
    readonly reason: NotWrittenReason,
    message: string,
    readonly errno: string | null = null,
  ) {
    super(message);
  }
}

const errnoOf = (err: unknown): string | null => (err as NodeJS.ErrnoException | null)?.code ?? null;

/** Why a file operation on the stick failed, in the report writer's terms. */
export function classify(err: unknown, what: string): NotWritten {
  if (err instanceof NotWritten) return err;
  const errno = errnoOf(err);
  const detail = `${what}: ${errno ?? (err as Error).message}`;
  if (errno === 'ENOSPC' || errno === 'EDQUOT') return new NotWritten('no-space', `the stick is full (${detail})`, errno);
  if (errno === 'EROFS' || errno === 'EACCES' || errno === 'EPERM') return new NotWritten('write-protected', `the stick cannot be written (${detail})`, errno);
  if (errno === 'ENOENT' || errno === 'EIO' || errno === 'ENODEV' || errno === 'ENXIO' || errno === 'ESTALE' || errno === 'ENOTCONN') {
    return new NotWritten('gone', `the stick went away (${detail})`, errno);
  }
  return new NotWritten('io-error', detail, errno);
}

/** MAJ:MIN of a dev_t as Linux packs it (the encoding glibc's major()/minor() undo). */
export function majMinOf(dev: number): string {
  const major = (Math.floor(dev / 256) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & 0xffffff00);
  return `${major}:${minor >>> 0}`;
}

/** `expected` as MAJ:MIN: given so, or the device node's numbers. */
async function expectedMajMin(expected: string, system: StickReportSystem): Promise<string> {
  if (/^\d+:\d+$/.test(expected)) return expected;
  try {
    const stats = await system.fs.stat(expected);
    if (!stats.isBlockDevice()) throw new NotWritten('gone', `${expected} is not a block device any more`);
    return majMinOf(stats.rdev);
  } catch (err) {
    throw classify(err, expected);
  }
}

/** The mount now at `mountPoint` (the top one if several are stacked), or null. */
async function mountAt(mountPoint: string, system: StickReportSystem): Promise<{ majMin: string; readOnly: boolean } | null> {
  const entries = parseMountInfo(await system.mountTable()).filter((m) => m.mountPoint === mountPoint);
  const top = entries[entries.length - 1];
  return top === undefined ? null : { majMin: top.majMin, readOnly: top.options.includes('ro') };
}

/** The mount at `mountPoint` must be the stick we were told, or nothing is written. */
async function assertSameStick(mountPoint: string, majMin: string, system: StickReportSystem): Promise<{ readOnly: boolean }> {
  const mount = await mountAt(mountPoint, system);
  if (mount === null) throw new NotWritten('gone', `nothing is mounted at ${mountPoint} any more`);
  if (mount.majMin !== majMin) throw new NotWritten('swapped', `${mountPoint} now holds device ${mount.majMin}, not the stick (${majMin})`);
  return mount;
}

// The udev unit mounts sticks with these; a remount must not drop them, whatever mount(8) merges.
const SAFE_FLAGS = 'nosuid,nodev,noexec';

async function remount(mountPoint: string, mode: 'rw' | 'ro', system: StickReportSystem): Promise<CommandResult> {
  return system.run('mount', ['-o', `remount,${mode},${SAFE_FLAGS}`, mountPoint], { timeoutMs: REMOUNT_TIMEOUT_MS });
}

/** Checks that an open file or folder lives on the stick: a stick unmounted under us leaves the bare mount point. */
async function assertOnStick(handle: fsp.FileHandle, majMin: string, what: string): Promise<void> {
  const dev = majMinOf((await handle.stat()).dev);
  if (dev !== majMin) throw new NotWritten('swapped', `${what} is on device ${dev}, not on the stick (${majMin})`);
}

export async function unlinkQuietly(system: StickReportSystem, path: string): Promise<void> {
  try {
    await system.fs.unlink(path);
  } catch {
    // Nothing there, or the stick is gone: there is nothing left to clean either way.
  }
}

/** The report folder, made if missing; a link or anything but a folder is refused, never followed. */
export async function openFolder(path: string, majMin: string, system: StickReportSystem): Promise<fsp.FileHandle> {
  try {
    await system.fs.mkdir(path, { mode: 0o755 });
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw classify(err, path);
  }
  let handle: fsp.FileHandle;
  try {
    // O_NOFOLLOW: a link planted on the stick in place of the folder must not lead the write elsewhere.
    handle = await system.fs.open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    if (errnoOf(err) === 'ELOOP' || errnoOf(err) === 'ENOTDIR') throw new NotWritten('unsafe-folder', `${path} is a link or not a folder: refused`, errnoOf(err));
    throw classify(err, path);
  }
  try {
    await assertOnStick(handle, majMin, path);
    return handle;
  } catch (err) {
    await handle.close();
    throw classify(err, path);
  }
}

/** Writes `data` to a new file at `path` on the stick, on disk when this returns. */
export async function writeNewFile(path: string, data: string, majMin: string, system: StickReportSystem): Promise<void> {
  const handle = await system.fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await assertOnStick(handle, majMin, path);
    await handle.writeFile(data);
    // Full sticks often refuse only here (delayed allocation): a write that returned is not enough.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The new names in a folder must survive the stick being pulled right after. A filesystem that
 * cannot sync a folder (EINVAL) still has complete files: they are kept.
 */
export async function syncFolder(dir: fsp.FileHandle): Promise<void> {
  await dir.sync().catch((err: unknown) => {
    if (errnoOf(err) !== 'EINVAL' && errnoOf(err) !== 'ENOTSUP') throw err;
  });
}

/** The two files into the folder: temp names first, renamed only once both are on disk. */
async function writeFiles(folder: string, report: Report, majMin: string, system: StickReportSystem): Promise<string[]> {
  const dir = await openFolder(folder, majMin, system);
  const written: string[] = [];
  const temps: string[] = [];
  try {
    const base = reportBaseName(report, await system.fs.readdir(folder));
    const files = [
      { name: `${base}.txt`, data: renderReportText(report) },
      { name: `${base}.json`, data: renderReportJson(report) },
    ];
    for (const file of files) {
      // A hidden temp name: never taken for a report, and skipped by the artifact search.
      const temp = join(folder, `.${file.name}.part`);
      await unlinkQuietly(system, temp);
      temps.push(temp);
      await writeNewFile(temp, file.data, majMin, system);
    }
    for (const [i, file] of files.entries()) {
      await system.fs.rename(temps[i] as string, join(folder, file.name));
      written.push(join(folder, file.name));
    }
    await syncFolder(dir);
    return written;
  } catch (err) {
    // No half report: whatever this attempt left is removed.
    for (const path of [...temps, ...written]) await unlinkQuietly(system, path);
    throw classify(err, folder);
  } finally {
    await dir.close().catch(() => undefined);
  }
}

/** Writes what `work` writes (it returns the paths) while the stick is writable; `work` gets its MAJ:MIN. */
export type StickWork = (majMin: string) => Promise<string[]>;

async function attempt(mountPoint: string, expectedDevice: string, work: StickWork, system: StickReportSystem, log: Logger): Promise<StickReportResult> {
  let majMin = '';
  let remounted = false;
  let result: StickReportResult;
  try {
    majMin = await expectedMajMin(expectedDevice, system);
    const before = await assertSameStick(mountPoint, majMin, system);
    if (before.readOnly) {
      remounted = true;
      const change = await remount(mountPoint, 'rw', system);
      if (change.code !== 0) {
        await assertSameStick(mountPoint, majMin, system);
        const how = change.timedOut ? 'timed out' : `exited ${String(change.code)}`;
        throw new NotWritten('write-protected', `the stick cannot be made writable (write-protected?): mount ${how}: ${change.output.trim().slice(-300)}`, 'EROFS');
      }
    }
    const after = await assertSameStick(mountPoint, majMin, system);
    if (after.readOnly) throw new NotWritten('write-protected', `${mountPoint} is still read-only after the remount`, 'EROFS');
    result = { status: 'written', files: await work(majMin), readOnlyAgain: null };
  } catch (err) {
    const failure = classify(err, mountPoint);
    result = { status: 'not-written', reason: failure.reason, errno: failure.errno, message: failure.message, readOnlyAgain: null };
  }
  // Read-only again whatever happened: a stick the technician pulls out must be consistent.
  if (remounted) result.readOnlyAgain = await restoreReadOnly(mountPoint, majMin, system, log);
  return result;
}

async function restoreReadOnly(mountPoint: string, majMin: string, system: StickReportSystem, log: Logger): Promise<boolean> {
  try {
    const mount = await mountAt(mountPoint, system);
    // Gone: nothing to restore. Another device: not ours to touch.
    if (mount === null || mount.majMin !== majMin) return mount === null;
    if (mount.readOnly) return true;
    const result = await remount(mountPoint, 'ro', system);
    if (result.code === 0) return true;
    log.error('the stick could not be remounted read-only after the report', { mountPoint, code: result.code, output: result.output.trim().slice(-300) });
  } catch (err) {
    log.error('the stick could not be remounted read-only after the report', { mountPoint, error: String(err) });
  }
  return false;
}

/**
 * Writes `report` (text and JSON) into the report folder of the stick mounted at `mountPoint`,
 * which must still be `expectedDevice` (MAJ:MIN, or a device node such as /dev/sdb1). Never throws;
 * logs the result on `log` and returns it. Bounded by `timeoutMs`: a stick that hangs is given up
 * (the stuck system call finishes, or not, in the background, and its end is logged).
 */
export async function writeReportToStick(mountPoint: string, expectedDevice: string, report: Report, system: StickReportSystem, log: Logger, options: StickReportOptions = {}): Promise<StickReportResult> {
  const folder = options.folder ?? DEFAULT_REPORT_FOLDER;
  return writeToStick(mountPoint, expectedDevice, (majMin) => writeFiles(join(mountPoint, folder), report, majMin, system), system, log, 'report', options.timeoutMs);
}

/**
 * Runs `work` on the stick mounted at `mountPoint` made writable for that moment, by the rules of
 * the report (the same stick, read-only again after, bounded by `timeoutMs`, never thrown); logs
 * `what` written or not.
 */
export async function writeToStick(mountPoint: string, expectedDevice: string, work: StickWork, system: StickReportSystem, log: Logger, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<StickReportResult> {
  const running = attempt(mountPoint, expectedDevice, work, system, log);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  const first = await Promise.race([running, timeout]);
  clearTimeout(timer);
  let result: StickReportResult;
  if (first === null) {
    result = { status: 'not-written', reason: 'timeout', errno: 'ETIMEDOUT', message: `the stick did not answer within ${timeoutMs} ms`, readOnlyAgain: null };
    void running.then((late) => log.warn(`a ${what} write that timed out has ended`, { mountPoint, ...late }));
  } else result = first;
  if (result.status === 'written') log.info(`${what} written to the stick`, { mountPoint, files: result.files, readOnlyAgain: result.readOnlyAgain });
  else log.warn(`${what} not written to the stick`, { mountPoint, reason: result.reason, errno: result.errno, error: result.message, readOnlyAgain: result.readOnlyAgain });
  return result;
}
