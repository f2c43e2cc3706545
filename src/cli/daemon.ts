// `usb-updater daemon`: the long-running service that systemd starts. For now it detects sticks and
// logs each session and mount; choosing and installing an artifact comes with the deployment work.
// Exits 0 within two seconds of SIGTERM.

import type { Command } from 'commander';
import type { MediaEvent } from '../media/index.js';
import { jsonLinesLogger, type Logger } from '../system/index.js';
import type { Io } from './io.js';
import { addMediaFlags, followMediaUntilSignal, type MediaFlags } from './media-command.js';
import type { CommandRunner } from './watch.js';

/** One log line per event; the untrusted identity goes in fields, never in the message. */
function logEvent(logger: Logger, event: MediaEvent): void {
  switch (event.type) {
    case 'session-started':
      return logger.info('stick session started', { session: event.session.id, disk: event.session.disk });
    case 'session-ended':
      return logger.info('stick session ended', { session: event.session.id });
    case 'mounted':
      return logger.info('stick mounted (detection only: installing is not implemented yet)', { session: event.session, initial: event.initial, stick: event.stick });
    case 'unmounted':
      return logger.info('stick unmounted', { session: event.session, device: event.stick.device, mountPoint: event.stick.mountPoint });
    case 'rejected':
      return logger.warn('mount refused as media', { ...event.mount, initial: event.initial });
    case 'ready':
      return logger.info('initial mount table reported');
    case 'usb-attached':
    case 'usb-detached':
      return logger.info(event.type === 'usb-attached' ? 'USB device attached' : 'USB device detached', { usb: event.usb });
  }
}

export function registerDaemon(program: Command, io: Io, run: CommandRunner): void {
  addMediaFlags(program.command('daemon'))
    .description('Run the service: detect USB sticks as they are mounted and log each session. Detection and logging only for now: it does not yet choose or install an artifact.')
    .addHelpText('after', '\nLogs one JSON object per line on stderr. Stops cleanly on SIGTERM or SIGINT (exit 0).\nExit codes: 0 stopped by a signal, 2 usage error, 3 the mount table cannot be read.')
    .exitOverride()
    .action(async (options: MediaFlags) => {
      const logger = jsonLinesLogger(io.stderr);
      await run(() => followMediaUntilSignal(options, logger, (event) => logEvent(logger, event)), false);
    });
}
