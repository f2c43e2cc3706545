// Who this device is, for the report written to a stick: its host name and systemd's machine id
// (/etc/machine-id, one 32-hex-digit line). A device without one still gets a report.

import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';

export const MACHINE_ID_PATH = '/etc/machine-id';

export async function readMachineIdentity(path: string = MACHINE_ID_PATH): Promise<{ hostname: string; machineId: string | null }> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const id = text.trim();
  // Anything but the documented form (an empty file on a read-only image, "uninitialized") is no id.
  return { hostname: hostname(), machineId: /^[0-9a-f]{32}$/.test(id) ? id : null };
}
