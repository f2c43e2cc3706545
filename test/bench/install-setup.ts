// What bench:install and the install profiler share: the device type, the state folder, the rootfs
// image's files and the config that installs the artifact in the simulated device.

import { writeFileSync } from 'node:fs';
import { REBOOT_COMMAND } from '../support/simulator/ab-device.js';
import { KEYS } from '../support/skip/fixtures.js';
import { imageBlock } from './measure.js';

export const BENCH_DEVICE_TYPE = 'bench-dev';
export const STATE_DIR = '/data/usb-updater';
/** The payload files in the image: this many MiB each. */
const FILE_MIB = 16;

/** The image's files: `sizeMiB` * 7/8 of mixed blocks (ext4's own metadata and free space fill the rest). */
export function payloadFiles(sizeMiB: number): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  const total = Math.floor((sizeMiB * 7) / 8);
  for (let first = 0, n = 0; first < total; first += FILE_MIB, n++) {
    const blocks = Array.from({ length: Math.min(FILE_MIB, total - first) }, (_, i) => imageBlock(first + i));
    files[`/opt/bench/blob-${String(n).padStart(3, '0')}.bin`] = Buffer.concat(blocks);
  }
  return files;
}

/** A config for the bench device: its device_type file, the signing key, our state folder, the simulator's reboot; then `extra` lines. */
export function writeInstallConfig(path: string, extra: readonly string[] = []): void {
  writeFileSync(
    path,
    [
      'device:',
      '  device_type_file: /data/mender/device_type',
      'signature:',
      `  keys: [${KEYS}rsa3072.pub]`,
      'state:',
      `  dir: ${STATE_DIR}`,
      'reboot:',
      `  command: [${REBOOT_COMMAND}]`,
      ...extra,
      '',
    ].join('\n'),
  );
}
