// What `npm run demo` needs from the machine, and which Debian package brings each tool: the demo
// checks them all before it starts and explains what is missing, but never installs anything itself.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Every program the demo, the A/B simulator and the daemon inside it run, with its Debian package. */
export const REQUIRED_TOOLS: readonly (readonly [tool: string, pkg: string])[] = [
  ['mender', 'mender-client'],
  ['mender-artifact', 'mender-artifact'],
  ['fw_printenv', 'libubootenv-tool'],
  ['fw_setenv', 'libubootenv-tool'],
  ['mkenvimage', 'u-boot-tools'],
  ['mkfs.ext4', 'e2fsprogs'],
  ['losetup', 'mount'],
  ['mount', 'mount'],
  ['umount', 'mount'],
  ['unshare', 'util-linux'],
  ['nsenter', 'util-linux'],
  ['setsid', 'util-linux'],
  ['findmnt', 'util-linux'],
  ['blkid', 'util-linux'],
  ['chroot', 'coreutils'],
  ['mknod', 'coreutils'],
];

export interface MissingTools {
  /** The missing tools, each with its package, in REQUIRED_TOOLS order. */
  tools: { tool: string; pkg: string }[];
  /** The one command line that installs every package missing; null when nothing is. */
  aptLine: string | null;
}

/** Which required tools `has` does not find. */
export function missingTools(has: (tool: string) => boolean): MissingTools {
  const tools = REQUIRED_TOOLS.filter(([tool]) => !has(tool)).map(([tool, pkg]) => ({ tool, pkg }));
  const packages = [...new Set(tools.map((t) => t.pkg))];
  return { tools, aptLine: packages.length === 0 ? null : `apt-get update && apt-get install -y ${packages.join(' ')}` };
}

/** Whether `tool` is an executable file in one of the folders of `path` (a PATH value). */
export function onPath(tool: string, path: string | undefined): boolean {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // Not in this folder: try the next one.
    }
  }
  return false;
}
