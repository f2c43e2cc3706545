// The config the root tests give `usb-updater` inside the A/B simulator: the device type from the
// simulated device's data partition, the committed test key, the state on /data (which both slots
// mount) and the simulator's reboot request as the reboot command.

import { writeFileSync } from 'node:fs';
import { REBOOT_COMMAND } from './ab-boot.js';
import { KEYS } from './fixtures.js';

/**
 * Writes the config to `path`. With `mediaRoot`, ext4 sticks mounted under it count as media,
 * loop devices included: the test sticks are images on loop devices (tests only). `extra` lines
 * are appended as they are (top-level sections such as feedback).
 */
export function writeSimConfig(path: string, options: { mediaRoot?: string; extra?: readonly string[] } = {}): void {
  const media = options.mediaRoot === undefined ? [] : ['media:', `  roots: [${options.mediaRoot}]`, '  filesystems: [ext4]', '  allow_loop_devices: true'];
  const lines = [
    'device:',
    '  device_type_file: /data/mender/device_type',
    'signature:',
    `  keys: [${KEYS}rsa3072.pub]`,
    ...media,
    'state:',
    '  dir: /data/usb-updater',
    'reboot:',
    `  command: [${REBOOT_COMMAND}]`,
    ...(options.extra ?? []),
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
}
