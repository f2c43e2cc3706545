// Layer one of the virtual device's image: a Debian 13 ("trixie") root filesystem made by mmdebstrap
// from Debian packages only, as a tar in the cache, keyed by the package list and the hooks, so that
// a change in usb-updater never rebuilds Debian. The host's own apt (Debian 12) is never touched:
// mmdebstrap gets the trixie mirror on its command line and keeps its lists in its own tree.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cached, hashOf } from './vm-cache.js';
import { mustRun } from './command.js';

export const SUITE = 'trixie';
export const MIRROR = 'http://deb.debian.org/debian';

/** minbase has no D-Bus: issue 18 is about exactly that device (a variant adds dbus later). */
export const PACKAGES = [
  'systemd-sysv', 'udev', 'kmod', 'util-linux', 'mount', 'nodejs', 'mender-client', 'libubootenv-tool',
  'dosfstools', 'exfatprogs', 'linux-image-amd64', 'initramfs-tools',
] as const;

/** Where the base keeps the .debs of the D-Bus variant, so that variant needs no network. */
export const DBUS_DEBS = '/opt/usb-updater-vm/dbus-debs';

/** The only kernel modules the guest needs (and what they depend on): a tenth of the tree. */
const MODULES = [
  'virtio_pci', 'virtio_blk', 'virtio_console', 'virtio_rng', 'ext4', 'crc32c_generic',
  'xhci_pci', 'xhci_hcd', 'usb_storage', 'uas', 'sd_mod', 'vfat', 'exfat', 'nls_cp437', 'nls_iso8859_1', 'nls_utf8', 'nls_ascii',
];

const NO_DOCS = ['/usr/share/man/*', '/usr/share/doc/*', '/usr/share/locale/*', '/usr/share/info/*', '/usr/share/lintian/*'];

/**
 * Before the kernel is installed: an initramfs with only what finds a virtio root (MODULES=list
 * plus the hook below; the default MODULES=most is ~10 times larger and slower to load under TCG).
 */
const ESSENTIAL_HOOK = `set -e
mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/initramfs-tools/hooks"
echo MODULES=list > "$1/etc/initramfs-tools/conf.d/usb-updater-vm.conf"
cat > "$1/etc/initramfs-tools/hooks/usb-updater-vm" <<'HOOK'
#!/bin/sh
case "$1" in prereqs) exit 0;; esac
. /usr/share/initramfs-tools/hook-functions
manual_add_modules virtio_pci virtio_blk ext4 crc32c_generic
HOOK
chmod 0755 "$1/etc/initramfs-tools/hooks/usb-updater-vm"
`;

/**
 * After everything: keep only the modules the guest loads (with their dependencies, as modprobe
 * resolves them), fetch the D-Bus variant's packages, and leave the Mender daemon (managed mode)
 * off: standalone use only.
 */
const CUSTOMIZE_HOOK = `set -e
kver=$(ls "$1/usr/lib/modules")
dir="$1/usr/lib/modules/$kver"
for m in ${MODULES.join(' ')}; do chroot "$1" modprobe -S "$kver" --show-depends "$m"; done | awk '/^insmod/ {print $2}' | sed 's#.*/kernel/#kernel/#' | sort -u > "$1/tmp/keep-modules"
(cd "$dir" && find kernel -name '*.ko*' | grep -vxFf "$1/tmp/keep-modules" | xargs rm -f)
rm "$1/tmp/keep-modules"
find "$1/usr/lib/modules/$kver/kernel" -type d -empty -delete
chroot "$1" depmod "$kver"
chroot "$1" update-initramfs -u -k "$kver"
rm -f "$1"/var/cache/apt/archives/*.deb
chroot "$1" apt-get install --download-only -y --no-install-recommends dbus
mkdir -p "$1${DBUS_DEBS}"
mv "$1"/var/cache/apt/archives/*.deb "$1${DBUS_DEBS}/"
chroot "$1" systemctl disable mender-client.service mender-updated.service 2>/dev/null || true
chroot "$1" systemctl mask mender-client.service
`;

export interface BaseRootfs {
  /** The root filesystem as a tar (owners and modes kept). */
  tar: string;
  key: string;
  /** False when this run built it. */
  hit: boolean;
  buildMs: number;
}

export async function baseRootfs(): Promise<BaseRootfs> {
  const key = hashOf([SUITE, MIRROR, ...PACKAGES, ...NO_DOCS, ESSENTIAL_HOOK, CUSTOMIZE_HOOK]);
  const started = Date.now();
  const entry = await cached('base', key, async (folder) => {
    await writeFile(join(folder, 'essential-hook.sh'), ESSENTIAL_HOOK);
    await writeFile(join(folder, 'customize-hook.sh'), CUSTOMIZE_HOOK);
    await mustRun('mmdebstrap', [
      '--variant=minbase', `--include=${PACKAGES.join(',')}`,
      ...NO_DOCS.map((path) => `--dpkgopt=path-exclude=${path}`),
      `--essential-hook=sh ${join(folder, 'essential-hook.sh')} "$1"`,
      `--customize-hook=sh ${join(folder, 'customize-hook.sh')} "$1"`,
      SUITE, join(folder, 'rootfs.tar'), MIRROR,
    ], { timeoutMs: 20 * 60_000 });
  });
  return { tar: join(entry.path, 'rootfs.tar'), key, hit: entry.hit, buildMs: Date.now() - started };
}
