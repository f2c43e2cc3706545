// `usb-updater config check|schema`: registration only; the work (src/cli/config.ts) loads when it runs.

import { DEFAULT_CONFIG_PATH } from '../../system/config/config-file.js';
import type { CliCommand } from '../command.js';

export const configCommand: CliCommand = {
  register(program, { io, run }) {
    const config = program.command('config').description('Work with the config file.').exitOverride();
    config
      .command('check')
      .description('Validate a config file: print every problem as FILE:LINE:COL key.path: message.')
      .argument('[file]', 'the config file', DEFAULT_CONFIG_PATH)
      .option('--json', 'print {"file","valid","problems":[{file,line,col,path,message}]} instead of text', false)
      .addHelpText('after', '\nExit codes: 0 valid, 1 invalid, 2 usage error, 3 file not readable.')
      .exitOverride()
      .action(async (file: string, options: { json: boolean }) => {
        await run(async () => (await import('../config.js')).configCheck(file, options, io), options.json);
      });

    config
      .command('schema')
      .description('Print the JSON Schema of the config file (the committed copy is config/config.schema.json).')
      .exitOverride()
      .action(async () => {
        const { configJsonSchema } = await import('../../policy/index.js');
        io.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
      });
  },
};
