// Stick images as technicians carry them, made and read on the host without the kernel's vfat or
// exfat (this host has neither): FAT32 inside an MBR partition (sfdisk, mkfs.vfat --offset, mtools)
// and an exFAT "superfloppy" with no partition table (mkfs.exfat, filled through exfat-fuse on a
// loop device, both undone at once), a blank stick with no filesystem at all, and FAT in two
// partitions of one MBR table. Never mounted while QEMU has them.

import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { mustRun } from './command.js';

const MIB = 1024 * 1024;
const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

export interface StickImage {
  path: string;
  kind: 'fat32' | 'exfat' | 'blank' | 'two-partitions';
  label: string;
  /** The USB serial the stick reports (QEMU's usb-storage `serial`). */
  serial: string;
}

/** Size for `files` plus room for the reports, at least FAT32's practical minimum. */
async function sizeFor(files: readonly string[]): Promise<number> {
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  return Math.max(64, Math.ceil(sizes.reduce((a, b) => a + b, 0) / MIB) + 48);
}

/** A FAT32 filesystem in partition 1 of an MBR table (type 0x0c), holding `files` at its root. */
export async function fat32Stick(path: string, label: string, serial: string, files: readonly string[]): Promise<StickImage> {
  const mib = await sizeFor(files);
  await writeFile(path, '');
  await truncate(path, mib * MIB);
  await mustRun('sfdisk', ['--quiet', path], { input: Buffer.from('label: dos\nstart=2048, type=c\n') });
  await mustRun('mkfs.vfat', ['-F', '32', '-n', label, '--offset', '2048', path, String((mib - 1) * 1024)]);
  for (const file of files) await mustRun('mcopy', ['-i', `${path}@@1M`, file, `::${basename(file)}`], { env: MTOOLS_ENV });
  return { path, kind: 'fat32', label, serial };
}

/** A stick as it comes out of its wrapper, unformatted: no partition table, no filesystem (issue 17). */
export async function blankStick(path: string, serial: string): Promise<StickImage> {
  await writeFile(path, '');
  await truncate(path, 16 * MIB);
  return { path, kind: 'blank', label: '', serial };
}

/**
 * Two FAT partitions in one MBR table (issue 17): partition 1 (8 MiB, FAT16) empty, partition 2 labelled
 * `label` holding `files`, so that only a search of the second partition finds them.
 */
export async function twoPartitionStick(path: string, label: string, serial: string, files: readonly string[]): Promise<StickImage> {
  const second = await sizeFor(files);
  await writeFile(path, '');
  await truncate(path, (10 + second) * MIB);
  await mustRun('sfdisk', ['--quiet', path], { input: Buffer.from(`label: dos\nstart=2048, size=${8 * 2048}, type=6\nstart=${10 * 2048}, type=c\n`) });
  await mustRun('mkfs.vfat', ['-n', 'FIRST', '--offset', '2048', path, String(8 * 1024)]);
  await mustRun('mkfs.vfat', ['-F', '32', '-n', label, '--offset', String(10 * 2048), path, String(second * 1024)]);
  for (const file of files) await mustRun('mcopy', ['-i', `${path}@@10M`, file, `::${basename(file)}`], { env: MTOOLS_ENV });
  return { path, kind: 'two-partitions', label, serial };
}

/**
 * Runs `work` on the exFAT image mounted through FUSE at a temporary folder, then unmounts. As root,
 * exfat-fuse mounts block devices only ("Block device required"), hence a loop device of our own,
 * detached again whatever happened.
 */
async function withExfat<T>(image: string, readOnly: boolean, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp('/tmp/usb-updater-vm-exfat-');
  const loop = (await mustRun('losetup', ['--find', '--show', ...(readOnly ? ['--read-only'] : []), image])).stdout.trim();
  try {
    await mustRun('mount.exfat-fuse', ['-o', readOnly ? 'ro' : 'rw', loop, dir]);
    try {
      return await work(dir);
    } finally {
      await mustRun('umount', [dir]);
    }
  } finally {
    await mustRun('losetup', ['-d', loop]);
    await rm(dir, { recursive: true, force: true });
  }
}

/** An exFAT filesystem over the whole image (no partition table), holding `files` at its root. */
export async function exfatStick(path: string, label: string, serial: string, files: readonly string[]): Promise<StickImage> {
  await writeFile(path, '');
  await truncate(path, (await sizeFor(files)) * MIB);
  await mustRun('mkfs.exfat', ['-L', label, path]);
  await withExfat(path, false, async (dir) => {
    for (const file of files) await mustRun('cp', [file, join(dir, basename(file))]);
  });
  return { path, kind: 'exfat', label, serial };
}

/** The files (not the folders) in the folder `dir`: name → content. */
async function filesIn(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return Object.fromEntries(await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => [e.name, await readFile(join(dir, e.name), 'utf8')] as const)));
}

/**
 * The files in `folder` (a path from the stick's root, such as a diagnostics bundle in the report
 * folder): name → content (empty when the folder is missing); folders in it are left out.
 */
export async function readStickFolder(stick: StickImage, folder: string): Promise<Record<string, string>> {
  if (stick.kind === 'exfat') return withExfat(stick.path, true, (dir) => filesIn(join(dir, folder)));
  const out = await mkdtemp('/tmp/usb-updater-vm-fat-');
  try {
    const listing = await mustRun('mdir', ['-i', `${stick.path}@@1M`, '-b', `::${folder}`], { env: MTOOLS_ENV }).catch(() => null);
    if (listing === null) return {};
    // mcopy puts the folder under its own name in `out`.
    await mustRun('mcopy', ['-s', '-i', `${stick.path}@@1M`, `::${folder}`, out], { env: MTOOLS_ENV });
    return await filesIn(join(out, basename(folder)));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
