// `usb-updater status`: registration only; the work (src/cli/status.ts) loads when it runs.

import { DEFAULT_CONFIG_PATH } from '../../system/config/config-file.js';
import type { CliCommand } from '../command.js';
import { wholeNumber } from '../numeric-option.js';

export const statusCommand: CliCommand = {
  register(program, { io, run }) {
    program
      .command('status')
      .description('Show the deployment in progress or the last one, and the history of outcomes (the ledger).')
      .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_PATH)
      .option('-n, --limit <count>', 'history entries to show', wholeNumber(0, 1_000_000), 20)
      .option('--json', 'print {journal, history}', false)
      .addHelpText('after', '\nExit codes: 0 shown, 1 the state cannot be read, 2 usage error, 3 a file not readable.')
      .exitOverride()
      .action(async (options: { config: string; json: boolean; limit: number }) => {
        await run(async () => (await import('../status.js')).statusCommand(options, io), options.json);
      });
  },
};
