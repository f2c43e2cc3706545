// `usb-updater inspect FILE`: registration only; the work (src/cli/inspect.ts) loads when it runs.

import { Option } from 'commander';
import { collect, type CliCommand } from '../command.js';

export const inspectCommand: CliCommand = {
  register(program, { io, run }) {
    program
      .command('inspect')
      .description('Read a .mender artifact and print its header: names, device types, provides and depends, signature, payloads.')
      .argument('<file>', 'the artifact file, or - for standard input')
      .option('--verify', 'also stream every payload file and check it against the manifest (reads the whole file)', false)
      .addOption(new Option('-k, --key <pem>', 'public key (PEM: SPKI or PKCS#1; RSA >= 2048 bits or EC P-256) that must verify the signature; repeat for several keys').argParser(collect).default([]))
      .option('--json', 'print one JSON object (Mender key names) instead of text; errors as {"error":{code,message}}', false)
      .addHelpText('after', '\nExit codes: 0 valid, 1 invalid or unverifiable artifact, 2 usage error or unusable key, 3 file not readable.')
      .exitOverride()
      .action(async (file: string, options: { verify: boolean; key: string[]; json: boolean }) => {
        await run(async () => (await import('../inspect.js')).inspect(file, options, io), options.json);
      });
  },
};
