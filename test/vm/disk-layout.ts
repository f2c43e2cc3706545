// The virtual device's disk, as a board's eMMC would be laid out for Mender: the U-Boot environment
// in a raw partition of its own, root filesystems A and B, and the data partition both mount.
// Made without a loop device: sfdisk writes the table into the image file and each partition's
// content is copied in at its offset (sparse, so an empty B costs no disk space).

import { open, truncate, writeFile } from 'node:fs/promises';
import { mustRun } from './command.js';

const MIB = 1024 * 1024;

/** Partition numbers: the guest sees /dev/vdaN; `mender_boot_part` takes these numbers. */
export const PART = { env: 1, A: 2, B: 3, data: 4 } as const;
export const ENV_SIZE = 0x4000;
/** In MiB. */
const LAYOUT = { env: { start: 1, size: 1 }, A: { start: 2, size: 640 }, B: { start: 642, size: 640 }, data: { start: 1282, size: 192 } } as const;
const DISK_MIB = 1282 + 192;

export type PartName = keyof typeof LAYOUT;

/** Byte offset of a partition in the disk image. */
export const offsetOf = (part: PartName): number => LAYOUT[part].start * MIB;
export const sizeOf = (part: PartName): number => LAYOUT[part].size * MIB;

/** In the guest (fw_env.config) and on the host (the same bytes through the image file). */
export const GUEST_ENV_CONFIG = `/dev/vda${PART.env} 0x0000 0x${ENV_SIZE.toString(16)}\n`;
export const hostEnvConfig = (disk: string): string => `${disk} 0x${offsetOf('env').toString(16)} 0x${ENV_SIZE.toString(16)}\n`;

/** Writes a disk image holding `contents` (image files, copied in at each partition's offset). */
export async function assembleDisk(disk: string, contents: Partial<Record<PartName, string>>): Promise<void> {
  await writeFile(disk, '');
  await truncate(disk, DISK_MIB * MIB);
  const table = ['label: dos', ...(['env', 'A', 'B', 'data'] as const).map((p) => `start=${LAYOUT[p].start * 2048}, size=${LAYOUT[p].size * 2048}, type=${p === 'env' ? 'da' : '83'}`)].join('\n');
  await mustRun('sfdisk', ['--quiet', disk], { input: Buffer.from(`${table}\n`) });
  for (const [part, file] of Object.entries(contents) as [PartName, string][]) {
    await mustRun('dd', [`if=${file}`, `of=${disk}`, 'bs=1M', `seek=${LAYOUT[part].start}`, 'conv=notrunc,sparse', 'status=none']);
  }
}

/** Reads `length` bytes of `disk` from `offset` (a partition's file, for debugfs). */
export async function readAt(disk: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(disk, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}
