// Which root partition this boot runs, named as the bootloader names it (`mender_boot_part`: the
// partition number). Found the way the Mender client finds it: the device of `/` compared with the
// block devices mender.conf names as RootfsPartA and RootfsPartB, so `/dev/root` and other aliases
// on the kernel command line do not matter.

import { readFile, stat } from 'node:fs/promises';
import type { BootFacts } from '../../health/index.js';
import { readBootEnv } from './boot-env.js';

/** Where the 3.x client reads its configuration, in its own order. */
export const MENDER_CONF_PATHS = ['/etc/mender/mender.conf', '/var/lib/mender/mender.conf'] as const;

async function rootfsParts(confPaths: readonly string[]): Promise<string[]> {
  const parts: string[] = [];
  for (const path of confPaths) {
    let conf: { RootfsPartA?: unknown; RootfsPartB?: unknown };
    try {
      conf = JSON.parse(await readFile(path, 'utf8')) as typeof conf;
    } catch {
      continue;
    }
    for (const part of [conf.RootfsPartA, conf.RootfsPartB]) if (typeof part === 'string' && !parts.includes(part)) parts.push(part);
  }
  return parts;
}

/** The trailing number of a partition device (`/dev/mmcblk0p3` → `3`), as U-Boot's env holds it. */
export function partitionNumber(device: string): string | null {
  return /(\d+)$/.exec(device)?.[1] ?? null;
}

/** The partition number of the device mounted on `/`, or null when no RootfsPart matches. */
export async function readActivePartition(confPaths: readonly string[] = MENDER_CONF_PATHS, root = '/'): Promise<string | null> {
  const rootDev = (await stat(root)).dev;
  for (const part of await rootfsParts(confPaths)) {
    try {
      const info = await stat(part);
      if (info.isBlockDevice() && info.rdev === rootDev) return partitionNumber(part);
    } catch {
      // A partition missing from /dev is simply not the one running.
    }
  }
  return null;
}

/** The facts every boot-time decision starts from, read fresh. */
export async function readBootFacts(): Promise<BootFacts> {
  const [env, root] = await Promise.all([readBootEnv(), readActivePartition()]);
  return { env, root };
}
