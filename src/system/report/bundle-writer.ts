// Writing a diagnostics bundle onto the stick, by the report writer's rules (the same stick,
// writable only for that moment, files fsynced, nothing followed through a link, bounded in time,
// never thrown): the files go into a hidden temp folder beside the reports, which is renamed to
// its name only once all of them are on disk, so a stick pulled midway holds no half bundle under
// a real name (the temp folder is removed at the next attempt, or by hand).

import { join } from 'node:path';
import type { BundleFile } from '../../diagnostics/index.js';
import type { Logger } from '../../log/index.js';
import { classify, openFolder, syncFolder, unlinkQuietly, writeNewFile, writeToStick, type StickReportResult, type StickReportSystem } from './report-writer.js';

/** A folder this writer left (a temp one): its files, then itself. Quiet: it may not be there. */
async function removeFolderQuietly(system: StickReportSystem, path: string): Promise<void> {
  let names: string[];
  try {
    names = await system.fs.readdir(path);
  } catch {
    return;
  }
  for (const name of names) await unlinkQuietly(system, join(path, name));
  await system.fs.rmdir(path).catch(() => undefined);
}

/** `name`, or `name-2`, `name-3`… when taken (compared without case: FAT and exFAT do not tell). */
function freeName(name: string, existing: readonly string[]): string {
  const taken = new Set(existing.map((n) => n.toLowerCase()));
  for (let n = 1; ; n += 1) {
    const candidate = n === 1 ? name : `${name}-${n}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

async function writeBundle(parent: string, bundleName: string, files: readonly BundleFile[], majMin: string, system: StickReportSystem): Promise<string[]> {
  const dir = await openFolder(parent, majMin, system);
  // A hidden temp name: never taken for a bundle or a report, and skipped by the artifact search.
  const temp = join(parent, `.${bundleName}.part`);
  try {
    await removeFolderQuietly(system, temp);
    const inner = await openFolder(temp, majMin, system);
    try {
      for (const file of files) await writeNewFile(join(temp, file.name), file.data, majMin, system);
      await syncFolder(inner);
    } finally {
      await inner.close().catch(() => undefined);
    }
    const final = join(parent, freeName(bundleName, await system.fs.readdir(parent)));
    await system.fs.rename(temp, final);
    await syncFolder(dir);
    return [final];
  } catch (err) {
    await removeFolderQuietly(system, temp);
    throw classify(err, parent);
  } finally {
    await dir.close().catch(() => undefined);
  }
}

/** The report's 30 s, plus a second a megabyte: the slowest sticks write about 1 MB/s. */
const bundleTimeoutMs = (files: readonly BundleFile[]): number => 30_000 + Math.ceil(files.reduce((n, f) => n + Buffer.byteLength(f.data), 0) / 1000);

/**
 * Writes `files` as the folder `bundleName` in the report folder `folder` of the stick mounted at
 * `mountPoint`, which must still be `expectedDevice`. Never throws; logs and returns the result.
 */
export function writeBundleToStick(mountPoint: string, expectedDevice: string, folder: string, bundleName: string, files: readonly BundleFile[], system: StickReportSystem, log: Logger, timeoutMs = bundleTimeoutMs(files)): Promise<StickReportResult> {
  return writeToStick(mountPoint, expectedDevice, (majMin) => writeBundle(join(mountPoint, folder), bundleName, files, majMin, system), system, log, 'diagnostics bundle', timeoutMs);
}
