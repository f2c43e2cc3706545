// The real MediaSystem: the kernel's mount table, sysfs, findmnt, blkid and chokidar.

import type { MediaSystem } from '../../media/index.js';
import { describeBlockDevice } from './block-devices.js';
import type { Logger } from '../../log/index.js';
import { followMountTable, readMountTable, type FollowOptions } from './mount-table.js';
import { watchDirectories } from './watch-paths.js';

export function realMediaSystem(logger: Logger, follow: FollowOptions = {}): MediaSystem {
  return {
    readMountTable: () => readMountTable(follow.mountinfo),
    followMountTable: (onChange) => followMountTable(onChange, logger, follow),
    describeBlockDevice: (majMin) => describeBlockDevice(majMin),
    watchDirectories: (dirs, onChange) => watchDirectories(dirs, onChange, logger),
    now: () => new Date(),
  };
}
