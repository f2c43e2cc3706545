// Why a USB disk the device cannot read got no stick (MEDIA_UNREADABLE): no filesystem, a filesystem
// type not allowed, or a mount that failed. Pure: the disk's facts (sysfs, the superblocks) and whether
// one of its filesystems was mounted come in as data, from src/system/media/usb-disks.ts.

import type { UsbIdentity } from './identity.js';

/** One place a filesystem can be on a disk: the whole disk (a "superfloppy") or one partition. */
export interface DiskVolume {
  /** /dev/sdb or /dev/sdb1. */
  device: string;
  /** The filesystem type the superblock names, as blkid names it (vfat, exfat, ntfs…); none found: undefined. */
  fsType?: string;
  /** What blkid says the superblock is for (filesystem, raid, crypto, other); undefined when nothing was found. */
  usage?: string;
}

/** What the block layer says about a USB disk. */
export interface UsbDiskFacts {
  /** The sysfs path of the whole disk: the same key as StickIdentity.disk and the sessions'. */
  disk: string;
  /** /dev/sdb. */
  device: string;
  usb?: UsbIdentity;
  /** The partition table's type (dos, gpt), when the disk has one. */
  partitionTable?: string;
  /** The whole disk first, then each partition in order. */
  volumes: DiskVolume[];
  /** Set when the superblocks could not be read at all (an I/O error): said in the message. */
  probeError?: string;
}

export type UnreadableReason = 'no-filesystem' | 'filesystem-not-allowed' | 'mount-failed';

export interface Unreadable {
  reason: UnreadableReason;
  /** One sentence for the log and the feedback: what was found, on which device. */
  message: string;
}

/**
 * blkid's name for a filesystem type against the kernel's names in media.filesystems (as
 * /proc/self/mountinfo shows them): blkid says ntfs where the kernel driver is ntfs3 (or the older
 * ntfs); every other type the project allows has the same name on both sides.
 */
const KERNEL_NAMES: Readonly<Record<string, readonly string[]>> = { ntfs: ['ntfs3', 'ntfs'] };

export function isAllowedType(fsType: string, filesystems: readonly string[]): boolean {
  return (KERNEL_NAMES[fsType] ?? [fsType]).some((name) => filesystems.includes(name));
}

const listed = (volumes: DiskVolume[]): string => volumes.map((v) => `${v.fsType ?? '?'} on ${v.device}`).join(', ');

/**
 * The verdict on a USB disk once media.mount_timeout has passed since it appeared: null when one of its
 * filesystems was mounted as a stick (`mounted`), else why not. A filesystem that is allowed but was not
 * mounted is a failed mount even when others on the same disk are not allowed: it is the one that
 * should have worked.
 */
export function judgeUnreadable(facts: UsbDiskFacts, mounted: boolean, filesystems: readonly string[], timeoutMs: number): Unreadable | null {
  if (mounted) return null;
  const found = facts.volumes.filter((v) => v.fsType !== undefined);
  if (found.length === 0) {
    const partitions = facts.volumes.length - 1;
    const layout = facts.partitionTable !== undefined
      ? `a ${facts.partitionTable} partition table with ${partitions} partition${partitions === 1 ? '' : 's'} and no filesystem on ${partitions === 1 ? 'it' : 'any'}`
      : 'no partition table and no filesystem';
    const probe = facts.probeError !== undefined ? ` (${facts.probeError})` : '';
    return { reason: 'no-filesystem', message: `${facts.device} has ${layout}${probe}` };
  }
  const allowed = found.filter((v) => isAllowedType(v.fsType as string, filesystems));
  if (allowed.length === 0) {
    return { reason: 'filesystem-not-allowed', message: `${facts.device} holds ${listed(found)}: not in media.filesystems (${filesystems.join(', ')})` };
  }
  return { reason: 'mount-failed', message: `${listed(allowed)} was not mounted within ${Math.round(timeoutMs / 100) / 10} s (the mount failed: no kernel driver, or a damaged filesystem)` };
}
