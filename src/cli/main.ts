// The composition root of the CLI: registers every command (src/cli/commands/), parses the command
// line with commander, runs the command and turns its outcome into an exit code. Everything a command
// touches is passed in (Io). Each command's work is imported when that command runs: start-up
// (--version, and the time before install's first byte) pays only for commander and the definitions.

import { Command, CommanderError } from 'commander';
import { isUpdaterError } from '../errors/index.js';
import { printable } from '../log/index.js';
import { packageVersion } from '../system/os/package-info.js';
import type { Run } from './command.js';
import { COMMANDS } from './commands/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import type { Io } from './io.js';

function buildProgram(io: Io, run: Run): Command {
  const program = new Command('usb-updater')
    .description('Installs Mender artifacts from USB sticks on devices running the Mender client in standalone mode.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  for (const command of COMMANDS) command.register(program, { io, run });
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
      if (!isUpdaterError(err)) {
        // A bug: still one JSON object on stdout for a --json reader, then the stack (exit 70).
        if (json) io.stdout.write(JSON.stringify({ error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } }, null, 2) + '\n');
        throw err;
      }
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
