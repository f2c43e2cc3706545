// Root filesystems for the A/B device simulator (ab-device.ts): the initial partition A and the
// rootfs-image artifacts installed into it, written with the real mkfs.ext4 and mender-artifact.
// Every image carries the same device layout, because on a real device mender.conf, fw_env.config
// and the mount points live on the root filesystem and an update replaces them all:
// - /etc/mender/mender.conf names the partitions by the stable paths the simulator gives them
//   (`/dev/mmcblk0p2` and `/dev/mmcblk0p3`), so one artifact fits every simulated device;
// - /etc/mender/artifact_info holds the name, /etc/usb-updater-test-release too (a test reads it to
//   tell which image booted), /etc/fw_env.config points at the env file the simulator mounts on /uboot;
// - merged-/usr links (`bin -> usr/bin`…) and an empty directory for every mount of a boot, this
//   repository's absolute path included. An image without them does not boot (see `unbootable`).

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../skip/fixtures.js';

const execFileAsync = promisify(execFile);

export type Partition = 'A' | 'B';

/** Where the simulator puts the A/B partitions, and the numbers `mender_boot_part` takes. */
export const PARTITION_DEVICE: Readonly<Record<Partition, string>> = { A: '/dev/mmcblk0p2', B: '/dev/mmcblk0p3' };
export const PARTITION_NUMBER: Readonly<Record<Partition, string>> = { A: '2', B: '3' };
/** Inside the device: the folder holding the U-Boot env file, and the file. */
export const BOOT_ENV_DIR = '/uboot';
export const BOOT_ENV_FILE = `${BOOT_ENV_DIR}/uboot.env`;
/** The env area size, as in `mkenvimage -s` and fw_env.config. */
export const BOOT_ENV_SIZE = 0x4000;
/** The file in every image made here that names it. */
export const RELEASE_FILE = '/etc/usb-updater-test-release';
/** Where the public key goes when a device verifies signatures. */
export const VERIFY_KEY_FILE = '/etc/mender/artifact-verify-key.pem';

/** Every directory a boot mounts something on (ab-device.ts mounts exactly these). */
export const MOUNT_POINTS = ['dev', 'proc', 'sys', 'usr', 'tmp', 'run', 'data', BOOT_ENV_DIR.slice(1), REPO.replace(/^\/+|\/+$/g, '')] as const;

export interface RootfsSpec {
  /** artifact_name: goes into /etc/mender/artifact_info and the release file. */
  name: string;
  /** A PEM public key: the client then verifies every artifact with it (ArtifactVerifyKey). */
  verifyKeyPem?: string;
  /** More files, by absolute path inside the image. */
  files?: Readonly<Record<string, string | Buffer>>;
  /**
   * Symbolic links, by absolute path inside the image, to their targets: `/etc/machine-id` to
   * `/data/machine-id` keeps a device's id across updates, as read-only images do.
   */
  links?: Readonly<Record<string, string>>;
}

export function menderConf(spec: Pick<RootfsSpec, 'verifyKeyPem'>): string {
  return `${JSON.stringify({
    RootfsPartA: PARTITION_DEVICE.A,
    RootfsPartB: PARTITION_DEVICE.B,
    ...(spec.verifyKeyPem === undefined ? {} : { ArtifactVerifyKey: VERIFY_KEY_FILE }),
  }, null, 2)}\n`;
}

async function put(tree: string, path: string, content: string | Buffer): Promise<void> {
  const target = join(tree, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, content);
}

/** Writes the root filesystem tree of an image named `spec.name` into the empty folder `tree`. */
export async function writeRootfsTree(tree: string, spec: RootfsSpec): Promise<void> {
  for (const dir of [...MOUNT_POINTS, 'root', 'media', 'var/lib', 'var/log', 'etc/mender']) await mkdir(join(tree, dir), { recursive: true });
  for (const dir of ['bin', 'sbin', 'lib', 'lib64']) await symlink(`usr/${dir}`, join(tree, dir));
  // Debian's client keeps its store in /var/lib/mender; Yocto devices link it to the data partition.
  await symlink('/data/mender', join(tree, 'var/lib/mender'));
  await put(tree, '/etc/mender/mender.conf', menderConf(spec));
  await put(tree, '/etc/mender/artifact_info', `artifact_name=${spec.name}\n`);
  await put(tree, '/etc/fw_env.config', `${BOOT_ENV_FILE} 0x0000 0x${BOOT_ENV_SIZE.toString(16)}\n`);
  await put(tree, RELEASE_FILE, `${spec.name}\n`);
  await put(tree, '/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
  await put(tree, '/etc/group', 'root:x:0:\n');
  await put(tree, '/etc/hostname', 'ab-device\n');
  if (spec.verifyKeyPem !== undefined) await put(tree, VERIFY_KEY_FILE, spec.verifyKeyPem);
  for (const [path, content] of Object.entries(spec.files ?? {})) await put(tree, path, content);
  for (const [path, target] of Object.entries(spec.links ?? {})) {
    await mkdir(dirname(join(tree, path)), { recursive: true });
    await symlink(target, join(tree, path));
  }
}

/** Writes an ext4 image of `sizeMiB` holding the tree of `spec` (mkfs.ext4 -d). */
export async function writeRootfsImage(output: string, sizeMiB: number, spec: RootfsSpec): Promise<void> {
  const tree = await mkdtemp(join(dirname(output), '.rootfs-tree-'));
  try {
    await writeRootfsTree(tree, spec);
    await writeFile(output, '');
    await truncate(output, sizeMiB * 1024 * 1024);
    await execFileAsync('mkfs.ext4', ['-q', '-F', '-m', '0', '-L', 'rootfs', '-E', 'root_owner=0:0', '-d', tree, output]);
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

export interface RootfsArtifactSpec extends RootfsSpec {
  /** Where the .mender file is written. */
  output: string;
  /** `-t`, once each. */
  deviceTypes: readonly string[];
  /** Size of the ext4 image (default 8 MiB): at most the simulator's partition size. */
  imageMiB?: number;
  /** `-k`: a private key (PEM file) to sign with. */
  signKey?: string;
  /** `--compression` (default gzip). */
  compression?: 'gzip' | 'lzma' | 'none';
  /**
   * The payload is not an ext4 file system but `imageMiB` of zeros: the client installs it like any
   * image, and the simulated bootloader then fails to boot it (a kernel that cannot mount its root).
   */
  unbootable?: boolean;
  /** More mender-artifact flags, e.g. `['--depends', 'k:v']`. */
  extraArgs?: readonly string[];
  /** An existing filesystem image as the payload, instead of one made from the spec. */
  image?: string;
}

/** Writes a rootfs-image artifact with the real `mender-artifact write rootfs-image`. */
export async function writeRootfsArtifact(spec: RootfsArtifactSpec): Promise<void> {
  const stage = await mkdtemp(join(dirname(spec.output), '.rootfs-artifact-'));
  try {
    const image = spec.image ?? join(stage, 'rootfs.ext4');
    const sizeMiB = spec.imageMiB ?? 8;
    if (spec.image !== undefined) {
      // Written by the caller.
    } else if (spec.unbootable) {
      await writeFile(image, '');
      await truncate(image, sizeMiB * 1024 * 1024);
    } else {
      await writeRootfsImage(image, sizeMiB, spec);
    }
    await execFileAsync('mender-artifact', [
      'write', 'rootfs-image', '--no-progress',
      '--artifact-name', spec.name,
      ...spec.deviceTypes.flatMap((type) => ['--device-type', type]),
      '--compression', spec.compression ?? 'gzip',
      ...(spec.signKey === undefined ? [] : ['--key', spec.signKey]),
      ...(spec.extraArgs ?? []),
      '--file', image,
      '--output-path', spec.output,
    ]);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
