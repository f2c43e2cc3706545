// `usb-updater health`: registration only; the work (src/cli/health.ts) loads when it runs.

import { DEFAULT_CONFIG_PATH } from '../../system/config/config-file.js';
import { HEALTH_EXIT } from '../exit-codes.js';
import type { CliCommand } from '../command.js';

export const healthCommand: CliCommand = {
  register(program, { io, run }) {
    program
      .command('health')
      .description('The boot-time check: resume the deployment in progress, classify this boot (trial boot of the new image, bootloader fallback, no reboot yet), run the health checks on a trial boot, then commit or roll back. Does nothing when nothing is pending.')
      .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_PATH)
      .option('--json', 'print the outcome as one JSON object {status, journal…}', false)
      .addHelpText(
        'after',
        '\nRun by usb-updater-health.service at every boot, and by the daemon when it starts.\n' +
          'Exit codes: 0 this boot is good (committed, nothing pending, or the install\'s reboot has not happened yet), ' +
          '3 rolled back: the old image runs again (also a good boot), 4 the new image failed its checks: going back to the old image (not a good boot), ' +
          '1 an error or a failed deployment, 2 usage error.',
      )
      .exitOverride()
      .action(async (options: { config: string; json: boolean }) => {
        await run(async () => (await import('../health.js')).healthCommand(options, io), options.json, (code) => (code === 'USAGE_ERROR' ? HEALTH_EXIT.USAGE : HEALTH_EXIT.FAILED));
      });
  },
};
