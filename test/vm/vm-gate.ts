// Whether the virtual device can run here: root (mmdebstrap into a directory, chroot, FUSE) and
// every tool, as the README's test line installs them. Outside CI a missing piece skips with the
// reason; in CI (CI=true) it fails, never skips (fixtures.ts's rule).

import { existsSync } from 'node:fs';
import { hasTool, needsSetUp } from '../support/skip/fixtures.js';

const TOOLS: Readonly<Record<string, string>> = {
  'qemu-system-x86_64': 'qemu-system-x86', mmdebstrap: 'mmdebstrap', sfdisk: 'fdisk', 'mkfs.ext4': 'e2fsprogs', debugfs: 'e2fsprogs',
  'mkfs.vfat': 'dosfstools', mcopy: 'mtools', 'mkfs.exfat': 'exfatprogs', 'mount.exfat-fuse': 'exfat-fuse',
  fw_printenv: 'libubootenv-tool', mkenvimage: 'u-boot-tools', 'mender-artifact': 'mender-artifact',
};

/** The `skip` option for the virtual device's tests. */
export function vmSkip(): string | false {
  const missing = Object.entries(TOOLS).filter(([tool]) => !hasTool(tool)).map(([tool, pkg]) => `${tool} (apt-get install ${pkg})`);
  const problem = process.getuid?.() !== 0 ? 'the virtual device needs root (mmdebstrap, chroot, FUSE)'
    : missing.length > 0 ? `the virtual device needs ${missing.join(', ')}`
      : !existsSync('/dev/fuse') ? 'the virtual device needs /dev/fuse (exFAT sticks are filled through exfat-fuse)'
        : null;
  return needsSetUp(problem, 'the virtual device');
}
