// `usb-updater daemon`: the long-running service that systemd starts. With a config, each stick
// mounted goes through the install pipeline (the same as `usb-updater install`), its phases shown
// on the device as the config's feedback section says; without one it only detects and logs.
// Exits 0 within two seconds of SIGTERM.

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { isUpdaterError } from '../errors/index.js';
import type { MediaEvent } from '../media/index.js';
import type { StartupResult } from '../install/index.js';
import type { LoadedConfig } from '../policy/index.js';
import { createFeedback, NO_FEEDBACK, type Feedback } from '../feedback/index.js';
import { DEFAULT_CONFIG_PATH } from '../system/config/config-file.js';
import { realFeedbackSystem } from '../system/feedback/feedback-system.js';
import { stderrEnvironment, type Logger } from '../log/logger.js';
import type { Io } from './io.js';
import { switchableLogger } from '../log/switchable-logger.js';
import { addMediaFlags, type MediaFlags } from './media-flags.js';
import { assertTrustedFiles } from '../install/trusted-files.js';
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

/** How long hooks still running at SIGTERM (or a config change) may go on before they are killed. */
const SHUTDOWN_FEEDBACK_MS = 500;

/** The boot-time check the daemon runs at start (usb-updater health); logged and shown, never fatal. */
async function bootCheck(loaded: LoadedConfig, logger: Logger, feedback: () => Feedback): Promise<StartupResult | null> {
  try {
    const { describeStartup, runBootCheck, showBootCheck } = await import('../install/boot-check.js');
    const result = await runBootCheck(loaded, (message, fields) => logger.info(message, fields), (journal) => feedback().phase('verifying', { deploymentId: journal.deploymentId, artifact: journal.artifactName }));
    logger.info(`boot check: ${describeStartup(result)}`, { status: result.status });
    showBootCheck(result, feedback());
    return result;
  } catch (err) {
    logger.error('boot check failed', { code: isUpdaterError(err) ? err.code : 'INTERNAL', error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

export function registerDaemon(program: Command, io: Io, run: CommandRunner): void {
  addMediaFlags(program.command('daemon'))
    .description('Run the service: detect USB sticks as they are mounted and install, through the Mender client, the artifact the policy selects on each (one stick at a time). Without a config file it only detects and logs.')
    .addHelpText(
      'after',
      `\nThe config is --config, else ${DEFAULT_CONFIG_PATH} when it exists. Logs on stderr as --log-format or the config's logging section say (auto: journal under systemd, colours on a terminal, else one JSON object a line). Stops cleanly on SIGTERM or SIGINT (exit 0).\nExit codes: 0 stopped by a signal, 1 invalid config, 2 usage error, 3 the mount table cannot be read.`,
    )
    .exitOverride()
    .action(async (options: MediaFlags) => {
      // Loaded here, not at start-up: the install pipeline and the media machinery are this command's.
      const [{ followMediaUntilSignal }, { StickHandler }] = await Promise.all([import('../daemon/follow-media.js'), import('../daemon/stick-handler.js')]);
      const logger = switchableLogger(options.logFormat, stderrEnvironment(io.stderr));
      const config = options.config ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
      if (config === undefined) logger.warn('no config file: detecting sticks only, nothing will be installed', { expected: DEFAULT_CONFIG_PATH });
      let loaded: LoadedConfig | undefined;
      let feedback: Feedback = NO_FEEDBACK;
      const handler = new StickHandler(logger, () => loaded as LoadedConfig, undefined, () => feedback);
      const onConfig = (value: LoadedConfig): void => {
        const first = loaded === undefined;
        const changed = JSON.stringify(value.config.feedback) !== JSON.stringify(loaded?.config.feedback);
        loaded = value;
        logger.configure(value.config.logging);
        if (changed) {
          // The old channels get what they were asked to show; a hook still running is cut short.
          void feedback.close(SHUTDOWN_FEEDBACK_MS);
          feedback = createFeedback(value.config.feedback, realFeedbackSystem, logger);
        }
        // The first config: finish any deployment the journal holds before serving sticks.
        // Its outcome also goes to the stick the update came from, if that stick is still in.
        if (first) handler.first(bootCheck(value, logger, () => feedback).then((result) => handler.afterBootCheck(result)));
      };
      const onEvent = (event: MediaEvent): void => {
        logEvent(logger, event);
        if (event.type === 'mounted' && loaded !== undefined) handler.mounted(event.session, event.stick);
        if (event.type === 'session-ended') handler.ended(event.session.id);
      };
      const flags: MediaFlags = config === undefined ? options : { ...options, config };
      try {
        await run(async () => {
          // Refuse to start (and say which file) before serving anything, when a file that decides
          // what is installed could be changed by someone other than root.
          if (config !== undefined) await assertTrustedFiles(await (await import('./config.js')).loadPolicy(config, io));
          await followMediaUntilSignal(flags, logger, onEvent, undefined, onConfig);
        }, false);
      } finally {
        // Bounded well inside the 2 s systemd is promised between SIGTERM and the exit.
        await feedback.close(SHUTDOWN_FEEDBACK_MS);
        await logger.close();
      }
    });
}
