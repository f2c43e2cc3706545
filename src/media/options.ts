// What the media detector accepts as a stick. A plain object so that the policy config (YAML keys
// `media.roots`, `media.filesystems`, `media.allow_loop_devices`) maps onto it one to one.

import { UpdaterError } from '../errors/index.js';

export interface MediaOptions {
  /** Mount points at or under these directories count as media whatever their bus. */
  roots: string[];
  /** Filesystem types (as in /proc/self/mountinfo) a stick may carry; others are rejected. */
  filesystems: string[];
  /** Loop devices are refused unless this is set (tests and demos mount images on them). */
  allowLoopDevices: boolean;
}

// The same defaults as the `media` section of the config schema (policy work), so that `watch` without
// flags sees what the daemon sees with an empty config.
export const DEFAULT_MEDIA_OPTIONS: Readonly<MediaOptions> = Object.freeze({
  // Where our own udev/systemd units mount sticks.
  roots: ['/run/usb-updater/media'],
  // What sticks are formatted with in the field (FAT, exFAT, NTFS, optical images), and ext* for
  // device makers' own sticks.
  filesystems: ['vfat', 'exfat', 'ext4', 'ext3', 'ext2', 'ntfs3', 'iso9660', 'udf'],
  allowLoopDevices: false,
});

/** Refuses options the detector cannot work with: a relative root, an empty filesystem list. */
export function checkMediaOptions(options: MediaOptions): MediaOptions {
  for (const root of options.roots) {
    if (!root.startsWith('/')) throw new UpdaterError('MEDIA_BAD_OPTION', `media root ${JSON.stringify(root)} is not an absolute path`);
  }
  if (options.filesystems.length === 0) throw new UpdaterError('MEDIA_BAD_OPTION', 'no filesystem type is allowed: no stick could ever be accepted');
  return options;
}
