// The bootloader environment as the Mender client sees it, through `fw_printenv` (libubootenv):
// `upgrade_available=1` means a trial boot is pending, whatever any journal says.

import { UpdaterError } from '../../errors/index.js';
import { parseProvides } from '../policy/device-facts.js';
import { runCommand } from '../os/process.js';

/** The environment's variables, or null where there is no fw_printenv (no U-Boot environment). */
export async function readBootEnv(): Promise<Record<string, string> | null> {
  let result;
  try {
    result = await runCommand('fw_printenv', [], { timeoutMs: 30_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (result.code !== 0) throw new UpdaterError('IO_ERROR', `fw_printenv exited ${String(result.code)}: ${result.output.trim().split('\n').at(-1) ?? ''}`);
  return parseProvides(result.stdout);
}
