// `usb-updater check PATH...`: registration only; the work (src/cli/check.ts) loads when it runs.

import { Option } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../system/config/config-file.js';
import type { ErrorCode } from '../../errors/index.js';
import { CHECK_EXIT } from '../exit-codes.js';
import { collect, type CliCommand } from '../command.js';

// check: 0 selected, 3 nothing to install, 1 any error, 2 usage.
const checkExitFor = (code: ErrorCode): number => (code === 'USAGE_ERROR' ? CHECK_EXIT.USAGE : CHECK_EXIT.ERROR);

export const checkCommand: CliCommand = {
  register(program, { io, run }) {
    program
      .command('check')
      .description('Show which artifact would be installed from sticks or files, and why every candidate is accepted, rejected or skipped. Reads headers only; installs nothing.')
      .argument('<path...>', 'a mounted stick (a folder, searched by the config\'s search rules) or a .mender file')
      .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_PATH)
      .option('--device-type <type>', 'the device type to check against (then device facts come from flags only, no Mender client needed)')
      .addOption(new Option('--provides <key=value>', "a provide of the device, as `mender show-provides` prints it (artifact_name=…); repeat for several").argParser(collect).default([]))
      .option('--json', 'print one JSON object instead of text; errors as {"error":{code,message}}', false)
      .addHelpText(
        'after',
        '\nWithout --device-type, the device type is read from the config\'s device.device_type_file and the provides from `mender show-provides`.\n' +
          'Exit codes: 0 an artifact was selected, 3 nothing to install, 1 an error (bad config, unreadable path), 2 usage error.',
      )
      .exitOverride()
      .action(async (paths: string[], options: { config: string; deviceType?: string; provides: string[]; json: boolean }) => {
        await run(async () => (await import('../check.js')).check(paths, options, io), options.json, checkExitFor);
      });
  },
};
