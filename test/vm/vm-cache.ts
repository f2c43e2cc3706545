// The virtual device's build cache, outside the repository (USB_UPDATER_VM_CACHE, else
// /var/cache/usb-updater-vm as root): each entry is named by a hash of everything it is built
// from, is built under a temporary name and renamed when complete, so a run killed half-way never
// leaves an entry that looks done. Older entries of the same kind are removed when a new one is made.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export function cacheRoot(): string {
  return process.env.USB_UPDATER_VM_CACHE ?? '/var/cache/usb-updater-vm';
}

/** A short hex digest of `parts`, each length-prefixed so that ["ab","c"] and ["a","bc"] differ. */
export function hashOf(parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part) : part;
    hash.update(`${bytes.length}:`).update(bytes);
  }
  return hash.digest('hex').slice(0, 16);
}

export interface CacheEntry {
  /** The entry's folder. */
  path: string;
  /** False when this call built it. */
  hit: boolean;
}

/**
 * The folder `<kind>-<key>` of the cache, built by `build(folder)` when missing. Other
 * `<kind>-*` entries go once the new one is complete (each is hundreds of MiB).
 */
export async function cached(kind: string, key: string, build: (folder: string) => Promise<void>): Promise<CacheEntry> {
  const root = cacheRoot();
  const path = join(root, `${kind}-${key}`);
  if (existsSync(path)) return { path, hit: true };
  await mkdir(root, { recursive: true });
  const partial = `${path}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial);
  try {
    await build(partial);
    await rename(partial, path);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
  for (const name of await readdir(root)) {
    if (name.startsWith(`${kind}-`) && name !== `${kind}-${key}`) await rm(join(root, name), { recursive: true, force: true });
  }
  return { path, hit: false };
}
