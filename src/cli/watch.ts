// `usb-updater watch [--json]`: prints media events as they happen, for integrators, until SIGTERM
// or SIGINT (then exits 0).

import type { Command } from 'commander';
import type { Io } from './io.js';
import { formatMediaEvent } from './format-media.js';
import { addMediaFlags, type MediaFlags } from './media-flags.js';
import { stderrEnvironment } from '../log/logger.js';
import { untilOutputClosed } from '../system/os/signals.js';
import { switchableLogger } from '../log/switchable-logger.js';

export type CommandRunner = (work: () => Promise<unknown>, json: boolean) => Promise<void>;

export function registerWatch(program: Command, io: Io, run: CommandRunner): void {
  addMediaFlags(program.command('watch'))
    .description('Print media events (sticks mounted and unmounted, sessions, refused mounts, USB attach) as they happen, until SIGTERM or SIGINT.')
    .option('--json', 'one JSON object per line (the event as is) instead of text', false)
    .addHelpText('after', '\nThe mounts present at start are reported first (marked initial), then "ready". Log lines go to stderr (--log-format; JSON when stderr is neither the journal nor a terminal).\nExit codes: 0 stopped by a signal, 2 usage error, 3 the mount table cannot be read.')
    .exitOverride()
    .action(async (options: MediaFlags & { json: boolean }) => {
      // Loaded here, not at start-up: only this command needs the media machinery.
      const { followMediaUntilSignal } = await import('../daemon/follow-media.js');
      const print = (event: Parameters<typeof formatMediaEvent>[0]): void => {
        io.stdout.write(options.json ? JSON.stringify(event) + '\n' : formatMediaEvent(event));
      };
      const logger = switchableLogger(options.logFormat, stderrEnvironment(io.stderr));
      try {
        await run(() => followMediaUntilSignal(options, logger, print, untilOutputClosed(io.stdout)), options.json);
      } finally {
        await logger.close();
      }
    });
}
