// What counts as a stick, and the identity the policy and the audit log see. Pure: the facts about
// the block device (read from sysfs and the filesystem superblock by src/system) come in as data.

import type { MediaOptions } from './options.js';
import type { MountEntry } from './mountinfo.js';

export interface UsbIdentity {
  /** Four hex digits, as sysfs and lsusb print them. */
  vendorId?: string;
  productId?: string;
  /** Manufacturer and product strings the device reports about itself (untrusted text). */
  vendor?: string;
  product?: string;
  serial?: string;
}

export type Bus = 'usb' | 'loop' | 'other';

/** What src/system learns about the block device behind a mount. */
export interface BlockDeviceFacts {
  /** The kernel's name for the device node, e.g. /dev/sdb1. */
  device: string;
  bus: Bus;
  /** The disk's `removable` flag in sysfs (card readers, most sticks). */
  removable: boolean;
  /** The whole disk the partition belongs to (its sysfs path): partitions of one disk form one session. */
  disk: string;
  usb?: UsbIdentity;
  label?: string;
  uuid?: string;
}

export interface StickIdentity {
  /** /dev/sdb1, or the mount source for a mount without a block device. */
  device: string;
  majMin: string;
  mountPoint: string;
  fsType: string;
  label?: string;
  uuid?: string;
  removable: boolean;
  bus: Bus;
  usb?: UsbIdentity;
  /** Mount options (ro, nosuid, nodev, noexec…), for the audit and for checks by later stages. */
  options: string[];
  /** The whole disk, the key that groups partitions into one session. */
  disk: string;
}

export type MountClassification =
  | { kind: 'stick'; stick: StickIdentity }
  /** It looks like media (removable, USB or under a media root) but is refused, for `reason`. */
  | { kind: 'rejected'; reason: string }
  /** Not media at all: the root filesystem, /proc, an internal disk… nothing to report. */
  | { kind: 'not-media' };

/** Whether `path` is `root` itself or inside it (by path components, so /media2 is not under /media). */
export function isUnder(path: string, root: string): boolean {
  const base = root.endsWith('/') && root !== '/' ? root.slice(0, -1) : root;
  return path === base || path.startsWith(base === '/' ? '/' : `${base}/`);
}

/** Facts for a mount with no block device behind it (tmpfs, fuse…): never USB, never removable. */
export function virtualDeviceFacts(entry: MountEntry): BlockDeviceFacts {
  return { device: entry.source, bus: 'other', removable: false, disk: `virtual:${entry.majMin}` };
}

export function classifyMount(entry: MountEntry, facts: BlockDeviceFacts, options: MediaOptions): MountClassification {
  const underRoot = options.roots.some((root) => isUnder(entry.mountPoint, root));
  if (facts.bus !== 'usb' && !facts.removable && !underRoot) return { kind: 'not-media' };
  // Loop devices are images on some other disk: only tests and demos may pass them off as sticks.
  if (facts.bus === 'loop' && !options.allowLoopDevices) return { kind: 'rejected', reason: 'loop devices are not allowed (allow_loop_devices)' };
  // Every filesystem driver is kernel attack surface for a hostile stick: only the listed ones.
  if (!options.filesystems.includes(entry.fsType)) return { kind: 'rejected', reason: `filesystem type ${entry.fsType} is not allowed` };
  // A bind mount shows part of a filesystem that is mounted (and reported) elsewhere already.
  if (entry.root !== '/') return { kind: 'rejected', reason: `bind mount of ${entry.root}, not a whole filesystem` };
  return {
    kind: 'stick',
    stick: {
      device: facts.device,
      majMin: entry.majMin,
      mountPoint: entry.mountPoint,
      fsType: entry.fsType,
      ...(facts.label !== undefined ? { label: facts.label } : {}),
      ...(facts.uuid !== undefined ? { uuid: facts.uuid } : {}),
      removable: facts.removable,
      bus: facts.bus,
      ...(facts.usb ? { usb: facts.usb } : {}),
      options: entry.options,
      disk: facts.disk,
    },
  };
}
