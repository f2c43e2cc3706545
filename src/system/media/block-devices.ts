// The block device behind a mount, from sysfs (name, USB parent and identity, removable flag) and
// `blkid -p` (label, UUID). USB strings and labels come from the stick: kept as data, never trusted.

import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { BlockDeviceFacts, Bus, UsbIdentity } from '../../media/index.js';

export interface BlockDeviceOptions {
  sysfs?: string;
  blkid?: string;
}

const read = async (path: string): Promise<string | undefined> => {
  try {
    return (await readFile(path, 'utf8')).replace(/\n$/, '');
  } catch {
    return undefined;
  }
};

/** `KEY=value` lines (uevent, `blkid -o udev`) into a map. */
export function parseKeyValueLines(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

/** Decodes udev's `\xNN` escapes (ID_FS_LABEL_ENC): the label exactly as the superblock holds it. */
export function decodeUdevString(encoded: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i += 1) {
    const hex = /^\\x([0-9a-fA-F]{2})/.exec(encoded.slice(i, i + 4));
    if (hex?.[1]) {
      bytes.push(parseInt(hex[1], 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(encoded[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Label and UUID from the superblock; nothing when blkid is missing, fails or finds nothing. */
function probeFilesystem(device: string, blkid: string): Promise<{ label?: string; uuid?: string }> {
  return new Promise((resolve) => {
    // -p probes the device itself (no cache, no udev database: neither exists on every device).
    execFile(blkid, ['-p', '-o', 'udev', device], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve({});
      const values = parseKeyValueLines(stdout);
      const label = values.get('ID_FS_LABEL_ENC');
      const uuid = values.get('ID_FS_UUID_ENC');
      resolve({ ...(label !== undefined ? { label: decodeUdevString(label) } : {}), ...(uuid !== undefined ? { uuid: decodeUdevString(uuid) } : {}) });
    });
  });
}

/** The USB device (the sysfs directory with idVendor, in the usb subsystem) above `path`, if any. */
export async function usbAncestor(path: string, sysfs: string): Promise<string | undefined> {
  for (let dir = dirname(path); dir.startsWith(`${sysfs}/devices/`); dir = dirname(dir)) {
    if ((await read(`${dir}/idVendor`)) === undefined) continue;
    const subsystem = await realpath(`${dir}/subsystem`).catch(() => '');
    if (basename(subsystem) === 'usb') return dir;
  }
  return undefined;
}

export async function usbIdentity(dir: string): Promise<UsbIdentity> {
  const fields = { vendorId: 'idVendor', productId: 'idProduct', vendor: 'manufacturer', product: 'product', serial: 'serial' } as const;
  const identity: UsbIdentity = {};
  for (const [key, file] of Object.entries(fields) as Array<[keyof UsbIdentity, string]>) {
    const value = await read(`${dir}/${file}`);
    if (value !== undefined) identity[key] = value;
  }
  return identity;
}

export async function describeBlockDevice(majMin: string, options: BlockDeviceOptions = {}): Promise<BlockDeviceFacts | null> {
  const { sysfs = '/sys', blkid = 'blkid' } = options;
  if (!/^\d+:\d+$/.test(majMin)) return null;
  const path = await realpath(`${sysfs}/dev/block/${majMin}`).catch(() => null);
  if (!path) return null;
  const uevent = parseKeyValueLines((await read(`${path}/uevent`)) ?? '');
  const name = uevent.get('DEVNAME') ?? basename(path);
  // A partition's directory sits inside its disk's directory.
  const disk = uevent.get('DEVTYPE') === 'partition' ? dirname(path) : path;
  const removable = (await read(`${disk}/removable`)) === '1';
  const usbDir = await usbAncestor(disk, sysfs);
  const bus: Bus = usbDir ? 'usb' : basename(disk).startsWith('loop') && path.includes('/devices/virtual/') ? 'loop' : 'other';
  const device = `/dev/${name}`;
  return {
    device,
    bus,
    removable,
    disk,
    ...(usbDir ? { usb: await usbIdentity(usbDir) } : {}),
    ...(await probeFilesystem(device, blkid)),
  };
}
