// The composition root of the CLI: parses the command line with commander, runs the command and
// turns its outcome into an exit code. Everything a command touches is passed in (Io). Each command's
// module is imported when that command runs: start-up (--version, and the time before install's
// first byte) pays only for commander and the command that was asked for.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { isUpdaterError, type ErrorCode } from '../errors/index.js';
import { DEFAULT_CONFIG_PATH } from '../system/config/config-file.js';
import { registerDaemon } from './daemon.js';
import { CHECK_EXIT, EXIT, HEALTH_EXIT, INSTALL_EXIT, exitCodeFor } from './exit-codes.js';
import type { Io } from './io.js';
import { printable } from './printable.js';
import { registerWatch } from './watch.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Runs a command's work; a number it returns is the exit code, an UpdaterError maps through `exitFor`. */
type Run = (work: () => Promise<unknown>, json: boolean, exitFor?: (code: ErrorCode) => number) => Promise<void>;

// check: 0 selected, 3 nothing to install, 1 any error, 2 usage.
const checkExitFor = (code: ErrorCode): number => (code === 'USAGE_ERROR' ? CHECK_EXIT.USAGE : CHECK_EXIT.ERROR);

function buildProgram(io: Io, run: Run): Command {
  const program = new Command('usb-updater')
    .description('Installs Mender artifacts from USB sticks on devices running the Mender client in standalone mode.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

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
      await run(async () => (await import('./inspect.js')).inspect(file, options, io), options.json);
    });

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
      await run(async () => (await import('./check.js')).check(paths, options, io), options.json, checkExitFor);
    });

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
      await run(async () => (await import('../install/pipeline.js')).installCommand(paths, options, io), options.json, (code) => (code === 'USAGE_ERROR' ? INSTALL_EXIT.USAGE : INSTALL_EXIT.FAILED));
    });

  program
    .command('status')
    .description('Show the deployment in progress or the last one, and the history of outcomes (the ledger).')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_PATH)
    .option('-n, --limit <count>', 'history entries to show', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'print {journal, history}', false)
    .addHelpText('after', '\nExit codes: 0 shown, 1 the state cannot be read, 2 usage error, 3 a file not readable.')
    .exitOverride()
    .action(async (options: { config: string; json: boolean; limit: number }) => {
      await run(async () => (await import('../install/pipeline.js')).statusCommand(options, io), options.json);
    });

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
      await run(async () => (await import('../install/boot-check.js')).healthCommand(options, io), options.json, (code) => (code === 'USAGE_ERROR' ? HEALTH_EXIT.USAGE : HEALTH_EXIT.FAILED));
    });

  const config = program.command('config').description('Work with the config file.').exitOverride();
  config
    .command('check')
    .description('Validate a config file: print every problem as FILE:LINE:COL key.path: message.')
    .argument('[file]', 'the config file', DEFAULT_CONFIG_PATH)
    .option('--json', 'print {"file","valid","problems":[{file,line,col,path,message}]} instead of text', false)
    .addHelpText('after', '\nExit codes: 0 valid, 1 invalid, 2 usage error, 3 file not readable.')
    .exitOverride()
    .action(async (file: string, options: { json: boolean }) => {
      await run(async () => (await import('./config.js')).configCheck(file, options, io), options.json);
    });

  config
    .command('schema')
    .description('Print the JSON Schema of the config file (the committed copy is config/config.schema.json).')
    .exitOverride()
    .action(async () => {
      const { configJsonSchema } = await import('../policy/index.js');
      io.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
    });
  registerWatch(program, io, run);
  registerDaemon(program, io, run);

  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.OK;
  const run: Run = async (work, json, exitFor = exitCodeFor) => {
    try {
      const result = await work();
      if (typeof result === 'number') exitCode = result;
    } catch (err) {
      if (!isUpdaterError(err)) throw err;
      exitCode = exitFor(err.code);
      if (json) io.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2) + '\n');
      io.stderr.write(`usb-updater: error ${err.code}: ${printable(err.message)}\n`);
    }
  };
  const program = buildProgram(io, run);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      return ok ? EXIT.OK : EXIT.USAGE;
    }
    throw err;
  }
  return exitCode;
}
