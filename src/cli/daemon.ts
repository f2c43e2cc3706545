// `usb-updater daemon`: the long-running service that systemd starts. With a config, each stick
// mounted goes through the install pipeline (the same as `usb-updater install`); without one it only
// detects and logs. Exits 0 within two seconds of SIGTERM.

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { isUpdaterError } from '../errors/index.js';
import type { MediaEvent } from '../media/index.js';
import type { LoadedConfig } from '../policy/index.js';
import { DEFAULT_CONFIG_PATH, jsonLinesLogger, type Logger } from '../system/index.js';
import { describeStartup, runBootCheck } from './health.js';
import type { Io } from './io.js';
import { addMediaFlags, followMediaUntilSignal, type MediaFlags } from './media-command.js';
import { StickHandler } from './stick-handler.js';
import { loadPolicy } from './config.js';
import { assertTrustedFiles } from './trusted-files.js';
import type { CommandRunner } from './watch.js';

/** One log line per event; the untrusted identity goes in fields, never in the message. */
function logEvent(logger: Logger, event: MediaEvent): void {
  switch (event.type) {
    case 'session-started':
      return logger.info('stick session started', { session: event.session.id, disk: event.session.disk });
    case 'session-ended':
      return logger.info('stick session ended', { session: event.session.id });
    case 'mounted':
      return logger.info('stick mounted', { session: event.session, initial: event.initial, stick: event.stick });
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

/** The boot-time check the daemon runs at start (usb-updater health); logged, never fatal. */
async function bootCheck(loaded: LoadedConfig, logger: Logger): Promise<void> {
  try {
    const result = await runBootCheck(loaded, (message, fields) => logger.info(message, fields));
    logger.info(`boot check: ${describeStartup(result)}`, { status: result.status });
  } catch (err) {
    logger.error('boot check failed', { code: isUpdaterError(err) ? err.code : 'INTERNAL', error: err instanceof Error ? err.message : String(err) });
  }
}

export function registerDaemon(program: Command, io: Io, run: CommandRunner): void {
  addMediaFlags(program.command('daemon'))
    .description('Run the service: detect USB sticks as they are mounted and install, through the Mender client, the artifact the policy selects on each (one stick at a time). Without a config file it only detects and logs.')
    .addHelpText(
      'after',
      `\nThe config is --config, else ${DEFAULT_CONFIG_PATH} when it exists. Logs one JSON object per line on stderr. Stops cleanly on SIGTERM or SIGINT (exit 0).\nExit codes: 0 stopped by a signal, 1 invalid config, 2 usage error, 3 the mount table cannot be read.`,
    )
    .exitOverride()
    .action(async (options: MediaFlags) => {
      const logger = jsonLinesLogger(io.stderr);
      const config = options.config ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
      if (config === undefined) logger.warn('no config file: detecting sticks only, nothing will be installed', { expected: DEFAULT_CONFIG_PATH });
      let loaded: LoadedConfig | undefined;
      const handler = new StickHandler(logger, () => loaded as LoadedConfig);
      const onConfig = (value: LoadedConfig): void => {
        // The first config: finish any deployment the journal holds before serving sticks.
        if (loaded === undefined) handler.first(bootCheck(value, logger));
        loaded = value;
      };
      const onEvent = (event: MediaEvent): void => {
        logEvent(logger, event);
        if (event.type === 'mounted' && loaded !== undefined) handler.mounted(event.session, event.stick);
        if (event.type === 'session-ended') handler.ended(event.session.id);
      };
      const flags: MediaFlags = config === undefined ? options : { ...options, config };
      await run(async () => {
        // Refuse to start (and say which file) before serving anything, when a file that decides
        // what is installed could be changed by someone other than root.
        if (config !== undefined) await assertTrustedFiles(await loadPolicy(config, io));
        await followMediaUntilSignal(flags, logger, onEvent, undefined, onConfig);
      }, false);
    });
}
