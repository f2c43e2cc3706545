// Who this device is, for the report written to a stick: its host name and an id for this
// application derived from systemd's machine id (/etc/machine-id, one 32-hex-digit line), never the
// machine id itself: a stick goes from hand to hand, and the raw id is a secret systemd asks
// applications not to give out (machine-id(5)). A device without one still gets a report.

import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';

export const MACHINE_ID_PATH = '/etc/machine-id';

/** usb-updater's application id (from `systemd-id128 new`): the key of every id it derives. */
export const APP_ID = '99cfb7130a3b46a092e4b7a21c346d1d';

/**
 * The id of this application on the machine `machineId`, as systemd's
 * sd_id128_get_machine_app_specific() computes it (and `systemd-id128 machine-id -a APP_ID`
 * prints): HMAC-SHA256 keyed by the machine id's 16 bytes over the application id's, its first 16
 * bytes made a version 4 UUID. The same on every boot; the machine id cannot be recovered from it.
 */
export function appSpecificId(machineId: string, appId: string = APP_ID): string {
  const bytes = createHmac('sha256', Buffer.from(machineId, 'hex')).update(Buffer.from(appId, 'hex')).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return bytes.toString('hex');
}

/**
 * The raw machine id, or null. Only to derive the application's id, and for the diagnostics bundle
 * to remove it from anything it carries: it is never written out.
 */
export async function readRawMachineId(path: string = MACHINE_ID_PATH): Promise<string | null> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const id = text.trim();
  // Anything but the documented form (an empty file on a read-only image, "uninitialized") is no id.
  return /^[0-9a-f]{32}$/.test(id) ? id : null;
}

export async function readMachineIdentity(path: string = MACHINE_ID_PATH): Promise<{ hostname: string; machineId: string | null }> {
  const id = await readRawMachineId(path);
  return { hostname: hostname(), machineId: id === null ? null : appSpecificId(id) };
}
