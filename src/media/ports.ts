// What the media detector needs from the machine, injected so that the detector itself is testable
// with a fake table. The real implementation is in src/system (sysfs, findmnt, chokidar).

import type { BlockDeviceFacts } from './identity.js';
import type { UsbDiskFacts } from './unreadable.js';

export interface Stoppable {
  stop(): Promise<void>;
}

export interface MediaSystem {
  /** The text of /proc/self/mountinfo. */
  readMountTable(): Promise<string>;
  /** Calls `onChange` soon after any mount or unmount (it may also call it when nothing changed). */
  followMountTable(onChange: () => void): Stoppable;
  /** What sysfs and the superblock say about the block device `MAJ:MIN`; null if it is gone. */
  describeBlockDevice(majMin: string): Promise<BlockDeviceFacts | null>;
  /** Calls `onChange` when an entry appears or goes in one of `dirs` (automounters make directories). */
  watchDirectories(dirs: string[], onChange: () => void): Stoppable;
  now(): Date;
}

/** What following USB disks needs from the block layer (sysfs, the superblocks, /dev). */
export interface UsbDiskSystem {
  /** The sysfs paths of the whole disks on USB present now. */
  listUsbDisks(): Promise<string[]>;
  /** The disk's USB identity, partitions and filesystem types; null if it is gone. */
  describeUsbDisk(disk: string): Promise<UsbDiskFacts | null>;
  /** Calls `onChange` soon after a block device appears or goes (it may also call it when nothing changed). */
  followBlockDevices(onChange: () => void): Stoppable;
}
