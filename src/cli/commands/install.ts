// `usb-updater install PATH...`: registration only; the work (src/cli/install.ts) loads when it runs.

import { DEFAULT_CONFIG_PATH } from '../../system/config/config-file.js';
import { INSTALL_EXIT } from '../exit-codes.js';
import type { CliCommand } from '../command.js';

export const installCommand: CliCommand = {
  register(program, { io, run }) {
    program
      .command('install')
      .description('Install, through the Mender client, the artifact the policy selects among sticks or files, then reboot as configured. The same pipeline as the daemon, by hand.')
      .argument('<path...>', 'a mounted stick (a folder) or a .mender file')
      .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_PATH)
      .option('--json', 'print one JSON object with the outcome and the deployment journal', false)
      .addHelpText(
        'after',
        '\nDevice facts come from the device (the device_type file, mender show-provides). A progress line is shown on a terminal.\n' +
          'Exit codes: 0 installed, 3 nothing to install, 1 failed or refused (an update pending, a bad config, the client failed), 2 usage error.',
      )
      .exitOverride()
      .action(async (paths: string[], options: { config: string; json: boolean }) => {
        await run(async () => (await import('../install.js')).installCommand(paths, options, io), options.json, (code) => (code === 'USAGE_ERROR' ? INSTALL_EXIT.USAGE : INSTALL_EXIT.FAILED));
      });
  },
};
