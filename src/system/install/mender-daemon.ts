// Whether the Mender client runs as a daemon (managed mode, talking to a server). Standalone installs
// must not run beside it: both would drive the same store and bootloader. Read from /proc, so it
// works without systemd and whatever the unit is called.

import { readdir, readFile } from 'node:fs/promises';
import { UpdaterError } from '../../errors/index.js';

/** The argv of a process whose program is `mender` (3.x) running the `daemon` verb, or mender-updated (4.x+). */
function isMenderDaemon(argv: readonly string[]): boolean {
  const program = (argv[0] ?? '').split('/').at(-1) ?? '';
  if (program === 'mender-updated') return true;
  return program === 'mender' && argv.slice(1).includes('daemon');
}

/** The pid of a running Mender daemon, or null. `proc` is /proc (a folder of the same shape in tests). */
export async function findMenderDaemon(proc = '/proc'): Promise<number | null> {
  for (const name of await readdir(proc)) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = await readFile(`${proc}/${name}/cmdline`, 'utf8');
    } catch {
      continue; // The process ended meanwhile, or is not ours to read.
    }
    if (isMenderDaemon(cmdline.split('\0').filter((arg) => arg !== ''))) return Number(name);
  }
  return null;
}

/** Throws INSTALL_MANAGED_MODE while a Mender daemon runs. */
export async function assertStandalone(proc = '/proc'): Promise<void> {
  const daemon = await findMenderDaemon(proc);
  if (daemon !== null) {
    throw new UpdaterError('INSTALL_MANAGED_MODE', `the Mender client runs as a daemon (pid ${daemon}): this device is in managed mode; stop it (systemctl stop mender-client) for standalone updates from sticks`);
  }
}
