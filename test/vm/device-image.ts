// Layer two of the virtual device's image: the Debian base (base-rootfs.ts) with usb-updater
// installed (updater-package.ts) and the device's own files (guest-files.ts), as ext4 filesystems
// assembled into disk images, plus the signed artifacts the scenarios put on sticks. Cached by the
// base, the package's inputs and this layer's own inputs: a warm run copies one disk image.

import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { baseRootfs } from './base-rootfs.js';
import { mustRun } from './command.js';
import { assembleDisk, hostEnvConfig } from './disk-layout.js';
import { DATA_FILES, DEVICE_TYPE, EXECUTABLE, guestFiles, HEALTHY_FILE, RELEASE_FILE, SIGN_KEY } from './guest-files.js';
import { installUpdaterPackage, updaterPackageKey } from './updater-package.js';
import { cached, hashOf } from './vm-cache.js';
import { BootEnv } from '../support/simulator/boot-env.js';

/** The artifacts the scenarios use: a name, and whether its image passes the health check. */
export const ARTIFACTS = {
  'vm-2.0': { healthy: true },
  'vm-3.0': { healthy: true },
  'vm-4.0': { healthy: false },
  'vm-5.0': { healthy: true },
} as const;
export type ArtifactName = keyof typeof ARTIFACTS;
/** What the release file of the artifacts' images says. */
export const PAYLOAD_RELEASE = { healthy: 'payload-healthy', unhealthy: 'payload-unhealthy' } as const;
/** gzip, as most device makers ship (the client decompresses it in the guest). */
const COMPRESSION = 'gzip';

/** The bootloader's environment when the device leaves the factory (meta-mender's defaults). */
export const FACTORY_ENV = { mender_boot_part: '2', mender_boot_part_hex: '2', upgrade_available: '0', bootcount: '0', bootlimit: '1' };


/**
 * Units a headless device has no use for, masked as a device maker would: logins on consoles
 * nobody sees, timers, and the first-boot rebuilds of caches (each new slot's first boot would run
 * them again: ~10 s of TCG time per boot).
 */
const UNNEEDED_UNITS = [
  'getty-static.service', 'getty@.service', 'serial-getty@.service', 'apt-daily.timer', 'apt-daily-upgrade.timer', 'dpkg-db-backup.timer',
  'fstrim.timer', 'systemd-tmpfiles-clean.timer', 'ldconfig.service', 'systemd-journal-catalog-update.service', 'systemd-update-done.service',
  'systemd-hwdb-update.service',
];

export interface DeviceImage {
  /** The factory disk image: copy it before booting it. */
  disk: string;
  artifact: (name: ArtifactName) => string;
  /** The kernel and initrd paths inside every root filesystem made here. */
  kernel: string;
  initrd: string;
  baseHit: boolean;
  deviceHit: boolean;
  baseMs: number;
  deviceMs: number;
}

async function putFiles(tree: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(tree, path)), { recursive: true });
    await writeFile(join(tree, path), content);
    if (EXECUTABLE.includes(path)) await chmod(join(tree, path), 0o755);
  }
}

/** Megabytes used by `tree`, for an ext4 sized to its content (the artifacts stay small). */
async function treeMiB(tree: string): Promise<number> {
  const { stdout } = await mustRun('du', ['-sm', tree]);
  return Number(stdout.split('\t')[0]);
}

async function mkfs(tree: string, output: string, sizeMiB: number, label: string): Promise<void> {
  await mustRun('mkfs.ext4', ['-q', '-F', '-m', '0', '-L', label, '-d', tree, output, `${sizeMiB}M`]);
}

async function buildDevice(folder: string, baseTar: string): Promise<void> {
  const tree = join(folder, 'tree');
  await mkdir(tree);
  await mustRun('tar', ['-xf', baseTar, '-C', tree]);
  await writeFile(join(folder, 'kernel-version'), (await readdir(join(tree, 'usr/lib/modules'))).join('\n'));
  await installUpdaterPackage(tree);
  await putFiles(tree, guestFiles());
  await mustRun('chroot', [tree, 'systemctl', 'enable', 'vm-agent.service']);
  await mustRun('chroot', [tree, 'systemctl', 'mask', ...UNNEEDED_UNITS]);
  await mkdir(join(tree, 'data'), { recursive: true });
  // Some room, as a real image keeps, but small: the client writes every byte of it in the install.
  const fsMiB = Math.ceil((await treeMiB(tree)) * 1.15) + 16;
  await mkfs(tree, join(folder, 'a.ext4'), fsMiB, 'rootfs');
  await putFiles(tree, { [RELEASE_FILE]: `${PAYLOAD_RELEASE.healthy}\n` });
  await mkfs(tree, join(folder, 'payload-healthy.ext4'), fsMiB, 'rootfs');
  await rm(join(tree, HEALTHY_FILE));
  await putFiles(tree, { [RELEASE_FILE]: `${PAYLOAD_RELEASE.unhealthy}\n` });
  await mkfs(tree, join(folder, 'payload-unhealthy.ext4'), fsMiB, 'rootfs');
  await rm(tree, { recursive: true, force: true });

  const data = join(folder, 'data-tree');
  await putFiles(data, DATA_FILES);
  await mkfs(data, join(folder, 'data.ext4'), 192, 'data');
  await rm(data, { recursive: true, force: true });
  const disk = join(folder, 'disk.img');
  await assembleDisk(disk, { A: join(folder, 'a.ext4'), data: join(folder, 'data.ext4') });
  await BootEnv.createAt(disk, hostEnvConfig(disk), join(folder, 'env-config'), join(folder, 'env-defaults'), FACTORY_ENV);
  await rm(join(folder, 'a.ext4'));
  await rm(join(folder, 'data.ext4'));
  for (const [name, { healthy }] of Object.entries(ARTIFACTS)) {
    await writeRootfsArtifact({
      name, output: join(folder, `${name}.mender`), deviceTypes: [DEVICE_TYPE], signKey: SIGN_KEY, compression: COMPRESSION,
      image: join(folder, `payload-${healthy ? 'healthy' : 'unhealthy'}.ext4`),
    });
  }
  await rm(join(folder, 'payload-healthy.ext4'));
  await rm(join(folder, 'payload-unhealthy.ext4'));
}

/** The device's images, from the cache or built now (minutes cold: mmdebstrap downloads Debian). */
export async function deviceImage(): Promise<DeviceImage> {
  const base = await baseRootfs();
  const started = Date.now();
  const ownInputs = await readFile(new URL(import.meta.url));
  const key = hashOf([base.key, await updaterPackageKey(), JSON.stringify(guestFiles()), JSON.stringify(DATA_FILES), JSON.stringify(ARTIFACTS), COMPRESSION, ownInputs]);
  const entry = await cached('device', key, (folder) => buildDevice(folder, base.tar));
  const kernelVersion = (await readFile(join(entry.path, 'kernel-version'), 'utf8').catch(() => '')).trim();
  return {
    disk: join(entry.path, 'disk.img'),
    artifact: (name) => join(entry.path, `${name}.mender`),
    kernel: `/boot/vmlinuz-${kernelVersion}`,
    initrd: `/boot/initrd.img-${kernelVersion}`,
    baseHit: base.hit, deviceHit: entry.hit, baseMs: base.buildMs, deviceMs: Date.now() - started,
  };
}
