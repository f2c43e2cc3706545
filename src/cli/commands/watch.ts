// `usb-updater watch [--json]`: prints media events as they happen, for integrators, until SIGTERM
// or SIGINT (then exits 0). Registration here; the media machinery loads when it runs.

import type { MediaEvent } from '../../media/index.js';
import type { CliCommand } from '../command.js';
import { addMediaFlags, type MediaFlags } from '../media-flags.js';

export const watchCommand: CliCommand = {
  register(program, { io, run }) {
    addMediaFlags(program.command('watch'))
      .description('Print media events (sticks mounted and unmounted, sessions, refused mounts, USB attach) as they happen, until SIGTERM or SIGINT.')
      .option('--json', 'one JSON object per line (the event as is) instead of text', false)
      .addHelpText('after', '\nThe mounts present at start are reported first (marked initial), then "ready". Log lines go to stderr (--log-format; JSON when stderr is neither the journal nor a terminal).\nExit codes: 0 stopped by a signal, 2 usage error, 3 the mount table cannot be read.')
      .exitOverride()
      .action(async (options: MediaFlags & { json: boolean }) => {
        const [{ followMediaUntilSignal }, { formatMediaEvent }, { switchableLogger, stderrEnvironment }, { untilOutputClosed }] = await Promise.all([
          import('../../daemon/follow-media.js'),
          import('../format-media.js'),
          import('../../log/loggers.js'),
          import('../../system/os/signals.js'),
        ]);
        const print = (event: MediaEvent): void => {
          io.stdout.write(options.json ? JSON.stringify(event) + '\n' : formatMediaEvent(event));
        };
        const logger = switchableLogger(options.logFormat, stderrEnvironment(io.stderr));
        try {
          await run(() => followMediaUntilSignal(options, logger, print, untilOutputClosed(io.stdout)), options.json);
        } finally {
          await logger.close();
        }
      });
  },
};
