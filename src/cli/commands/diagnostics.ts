// `usb-updater diagnostics request`: registration only; the work (src/cli/diagnostics.ts) loads when it runs.

import type { CliCommand } from '../command.js';

export const diagnosticsCommand: CliCommand = {
  register(program, { io, run }) {
    const diagnostics = program.command('diagnostics').description('Diagnostics on request: make a signed request that a device answers with a bundle on the stick.').exitOverride();
    diagnostics
      .command('request')
      .description('Write a signed diagnostics request (usb-updater-diagnostics.json and its .sig) for one device type or one device id; copy both to the top folder of a stick.')
      .requiredOption('-k, --key <pem>', 'the private key (PEM, unencrypted: RSA >= 2048 bits, EC P-256 or Ed25519) whose public key the devices trust')
      .option('--device-type <type>', 'every device of this type (its Mender device_type)')
      .option('--device-id <id>', 'only the device with this id (the machine id in its stick report)')
      .option('--expires <when>', 'a duration from now (24h, 90m) or an ISO 8601 time; devices refuse requests valid for longer than their diagnostics.max_validity (168h by default)', '24h')
      .option('-o, --out <dir>', 'the folder written to (the top folder of the stick)', '.')
      .option('--json', 'print {request, files}', false)
      .addHelpText('after', '\nExit codes: 0 written, 2 usage error or a key that cannot be read or used, 3 the folder cannot be written.')
      .exitOverride()
      .action(async (options: { key: string; deviceType?: string; deviceId?: string; expires: string; out: string; json: boolean }) => {
        await run(async () => (await import('../diagnostics.js')).diagnosticsRequest(options, io), options.json);
      });
  },
};
