// The composition root of the CLI: parses the command line with commander, runs the command and
// turns its outcome into an exit code. Everything a command touches is passed in (Io).

import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { isUpdaterError } from '../errors/index.js';
import { registerDaemon } from './daemon.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { inspect } from './inspect.js';
import type { Io } from './io.js';
import { printable } from './printable.js';
import { registerWatch } from './watch.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function buildProgram(io: Io, run: (work: () => Promise<unknown>, json: boolean) => Promise<void>): Command {
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
      await run(() => inspect(file, options, io), options.json);
    });

  registerWatch(program, io, run);
  registerDaemon(program, io, run);

  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.OK;
  const run = async (work: () => Promise<unknown>, json: boolean): Promise<void> => {
    try {
      await work();
    } catch (err) {
      if (!isUpdaterError(err)) throw err;
      exitCode = exitCodeFor(err.code);
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
