// The config the root tests give `usb-updater` inside the A/B simulator: the device type from the
// simulated device's data partition, the committed test key, the state on /data (which both slots
// mount) and the simulator's reboot request as the reboot command.

import { writeFileSync } from 'node:fs';
import { REBOOT_COMMAND } from './ab-boot.js';
import { KEYS } from '../skip/fixtures.js';

/**
 * Writes the config to `path`. With `mediaRoot`, ext4 sticks mounted under it count as media,
 * loop devices included: the test sticks are images on loop devices (tests only). `health`: the
 * lines of the health section; `payloadTypes`: artifacts.payload_types; `rebootCommand`: instead of
 * the simulator's own (a gate, say); `rebootTimeout`, `clientTimeout`, `stateDir`: reboot.timeout,
 * client.timeout, state.dir; `extra` lines are appended as they are (top-level sections such as feedback).
 */
export function writeSimConfig(path: string, options: { mediaRoot?: string; rebootCommand?: string; health?: readonly string[]; payloadTypes?: readonly string[]; rebootTimeout?: string; clientTimeout?: string; stateDir?: string; extra?: readonly string[] } = {}): void {
  const media = options.mediaRoot === undefined ? [] : ['media:', `  roots: [${options.mediaRoot}]`, '  filesystems: [ext4]', '  allow_loop_devices: true'];
  const lines = [
    'device:',
    '  device_type_file: /data/mender/device_type',
    'signature:',
    `  keys: [${KEYS}rsa3072.pub]`,
    ...(options.payloadTypes === undefined ? [] : ['artifacts:', `  payload_types: [${options.payloadTypes.join(', ')}]`]),
    ...media,
    'state:',
    `  dir: ${options.stateDir ?? '/data/usb-updater'}`,
    'reboot:',
    `  command: [${options.rebootCommand ?? REBOOT_COMMAND}]`,
    ...(options.rebootTimeout === undefined ? [] : [`  timeout: ${options.rebootTimeout}`]),
    ...(options.clientTimeout === undefined ? [] : ['client:', `  timeout: ${options.clientTimeout}`]),
    ...(options.health === undefined ? [] : ['health:', ...options.health.map((line) => `  ${line}`)]),
    ...(options.extra ?? []),
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
}
