// The daemon's service: with a config, each stick mounted goes through the update pipeline (the same
// as `usb-updater install`), its phases shown on the device as the config's feedback section says;
// without one it only detects and logs. The config is followed: a new one applies its logging and
// feedback at once. The first config starts the boot-time check, which sticks wait for.

import { errorCodeOf } from '../errors/index.js';
import { createFeedback, NO_FEEDBACK, type Feedback } from '../feedback/index.js';
import { assertTrustedFiles, describeStartup, finishedOnThisBoot, runBootCheck, showBootCheck, type StartupResult } from '../install/index.js';
import type { SwitchableLogger, Logger } from '../log/index.js';
import type { MediaEvent } from '../media/index.js';
import type { LoadedConfig } from '../policy/index.js';
import { DEFAULT_CONFIG_PATH, defaultConfigIfPresent } from '../system/config/config-file.js';
import { realFeedbackSystem } from '../system/feedback/feedback-system.js';
import { untilSignal } from '../system/os/signals.js';
import { followMediaUntilSignal, type FollowOptions } from './follow-media.js';
import { StickHandler } from './stick-handler.js';

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
    case 'unreadable':
      // Logged by the stick handler with its outcome line (shown, or not while another stick is handled).
      return logger.info('USB disk without a mounted filesystem', { reason: event.reason, device: event.disk.device, usb: event.disk.usb });
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
    const result = await runBootCheck(loaded, (message, fields) => logger.info(message, fields), (journal) => feedback().phase('verifying', { deploymentId: journal.deploymentId, artifact: journal.artifactName }));
    logger.info(`boot check: ${describeStartup(result)}`, { status: result.status });
    showBootCheck(result, feedback());
    if (result.status !== 'nothing-pending') return result;
    // usb-updater-health.service may have finished the deployment on this boot already: its
    // outcome is still the one to report on the stick the update came from.
    return (await finishedOnThisBoot(loaded.config.state.dir)) ?? result;
  } catch (err) {
    logger.error('boot check failed', { code: errorCodeOf(err), error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

/**
 * Serves sticks until SIGTERM or SIGINT. `options.config`: the config, else DEFAULT_CONFIG_PATH when
 * it exists. `loadConfig` loads it once before anything is served (the CLI's, which prints problems).
 */
export async function runDaemon(options: FollowOptions, logger: SwitchableLogger, loadConfig: (path: string) => Promise<LoadedConfig>): Promise<void> {
  const config = options.config ?? defaultConfigIfPresent();
  if (config === undefined) logger.warn('no config file: detecting sticks only, nothing will be installed', { expected: DEFAULT_CONFIG_PATH });
  let loaded: LoadedConfig | undefined;
  let feedback: Feedback = NO_FEEDBACK;
  const handler = new StickHandler(logger, () => loaded as LoadedConfig, undefined, () => feedback);
  // systemd's SIGTERM (a shutdown, maybe the one our own reboot request started) reaches the
  // reboot command and the client too: from then on their failures are not the update's.
  const stop = untilSignal(['SIGTERM']);
  void stop.received.then((signal) => handler.stopping(signal));
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
    // Then the device's facts, read before any stick needs them (after the check, which may commit).
    if (first) handler.first(bootCheck(value, logger, () => feedback).then((result) => handler.afterBootCheck(result)).then(() => handler.facts.warm()));
  };
  const onEvent = (event: MediaEvent): void => {
    logEvent(logger, event);
    if (event.type === 'mounted' && loaded !== undefined) handler.mounted(event.session, event.stick);
    if (event.type === 'session-ended') handler.ended(event.session.id);
    if (event.type === 'unreadable' && loaded !== undefined) handler.unreadable(event.disk, event.reason, event.message);
  };
  try {
    // Refuse to start (and say which file) before serving anything, when a file that decides
    // what is installed could be changed by someone other than root.
    if (config !== undefined) await assertTrustedFiles(await loadConfig(config));
    await followMediaUntilSignal(config === undefined ? options : { ...options, config }, logger, onEvent, undefined, onConfig);
  } finally {
    stop.dispose();
    // Bounded well inside the 2 s systemd is promised between SIGTERM and the exit.
    await feedback.close(SHUTDOWN_FEEDBACK_MS);
  }
}
