// `usb-updater health`: the boot-time check (src/install/boot-check.ts) with its outcome as text or
// JSON. Exit codes are chosen for systemd: the unit fails (so boot-complete.target is not reached)
// only when this boot is NOT a good one.

import { assertTrustedFiles, checkBoot, describeStartup, type StartupResult } from '../install/index.js';
import { printable } from '../log/index.js';
import { HEALTH_EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { loadPolicy } from './load-config.js';

export function healthExitCode(result: StartupResult): number {
  switch (result.status) {
    case 'nothing-pending':
    case 'committed':
    case 'journal-set-aside':
      return HEALTH_EXIT.OK;
    case 'rolled-back':
      return HEALTH_EXIT.ROLLED_BACK;
    case 'failed':
      return HEALTH_EXIT.FAILED;
    case 'awaiting-reboot':
      // Waiting for the install's own reboot is fine; waiting to go back to the old image is not.
      return result.journal.state === 'ArtifactReboot' ? HEALTH_EXIT.OK : HEALTH_EXIT.ROLLING_BACK;
  }
}

/** `usb-updater health [--config FILE] [--json]`. */
export async function healthCommand(options: { config: string; json: boolean }, io: Io): Promise<number> {
  const loaded = await loadPolicy(options.config, io);
  await assertTrustedFiles(loaded);
  const result = await checkBoot(loaded, (message) => {
    io.stderr.write(`${printable(message)}\n`);
  });
  if (options.json) io.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else io.stdout.write(`${printable(describeStartup(result))}\n`);
  return healthExitCode(result);
}
