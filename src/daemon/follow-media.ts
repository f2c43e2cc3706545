// Following media for `watch` and the daemon: the media options (from the config file's `media`
// section, which explicit flags override), following the config file (reloaded on change; a bad new version is
// reported and the last good one kept), and following media events until SIGTERM or SIGINT, with
// everything stopped before returning.

import { checkMediaOptions, DEFAULT_MEDIA_OPTIONS, DEFAULT_MOUNT_TIMEOUT_MS, followConfig, watchMedia, watchUnreadable, type FollowedConfig, type MediaEvent, type MediaOptions, type MediaWatch, type UnreadableWatch } from '../media/index.js';
import type { LoadedConfig } from '../policy/index.js';
import { loadConfigFile } from '../system/config/config-file.js';
import { realMediaSystem } from '../system/media/media-system.js';
import { startUsbMonitor } from '../system/media/usb-monitor.js';
import { realUsbDiskSystem } from '../system/media/usb-disks.js';
import { untilSignal } from '../system/os/signals.js';
import { watchFile } from '../system/media/watch-paths.js';
import type { Logger } from '../log/index.js';

/** What following media takes from the command line; the config file's `media` section fills the rest. */
export interface FollowOptions {
  mediaRoot: string[];
  filesystem: string[];
  allowLoop: boolean;
  /** The module the USB monitor loads (tests name a missing one). */
  usbModule: string;
  /** The config file, followed for changes. */
  config?: string;
}

/** The media options: explicit flags first, then the config's `media` section, then the defaults. */
export function mediaOptionsFrom(flags: FollowOptions, config?: LoadedConfig['config']): MediaOptions {
  const media = config?.media;
  return checkMediaOptions({
    roots: flags.mediaRoot.length > 0 ? flags.mediaRoot : [...(media?.roots ?? DEFAULT_MEDIA_OPTIONS.roots)],
    filesystems: flags.filesystem.length > 0 ? flags.filesystem : [...(media?.filesystems ?? DEFAULT_MEDIA_OPTIONS.filesystems)],
    allowLoopDevices: flags.allowLoop || (media?.allow_loop_devices ?? DEFAULT_MEDIA_OPTIONS.allowLoopDevices),
  });
}

const sameOptions = (a: MediaOptions, b: MediaOptions): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Reports media events through `emit` until SIGTERM or SIGINT (or `until` resolves); returns once
 * everything has stopped.
 */
export async function followMediaUntilSignal(flags: FollowOptions, logger: Logger, emit: (event: MediaEvent) => void, until?: Promise<void>, onConfig?: (loaded: LoadedConfig) => void): Promise<void> {
  // Handlers first: a SIGTERM during start-up must still end in a clean stop, not a kill.
  const signal = untilSignal();
  let followed: FollowedConfig<LoadedConfig> | undefined;
  let watch: MediaWatch | undefined;
  let usb: { stop(): Promise<void> } | undefined;
  let unreadable: UnreadableWatch | undefined;
  try {
    let options = mediaOptionsFrom(flags);
    let mountTimeoutMs = DEFAULT_MOUNT_TIMEOUT_MS;
    // A disk one of whose filesystems is mounted as a stick is readable, whatever else is on it.
    const report = (event: MediaEvent): void => {
      if (event.type === 'mounted') unreadable?.mounted(event.stick.disk);
      emit(event);
    };
    const system = realMediaSystem(logger);
    let restarting = Promise.resolve();
    if (flags.config !== undefined) {
      const path = flags.config;
      followed = await followConfig(
        path,
        (file) => loadConfigFile(file),
        {
          onReload: (loaded) => {
            logger.info('config reloaded', { config: path });
            onConfig?.(loaded);
            mountTimeoutMs = loaded.config.media.mount_timeout;
            const next = mediaOptionsFrom(flags, loaded.config);
            if (sameOptions(next, options)) return;
            options = next;
            // New media options: follow the mount table again with them (present sticks are reported anew).
            restarting = restarting
              .then(async () => {
                await watch?.stop();
                watch = await watchMedia(system, options, logger, report);
                logger.info('following media', { roots: options.roots, filesystems: options.filesystems, allowLoopDevices: options.allowLoopDevices });
              })
              .catch((err: unknown) => logger.error('media detection could not restart with the new config', { error: err instanceof Error ? err.message : String(err) }));
          },
          onError: (err) => logger.error('the changed config is invalid; keeping the last good one', { config: path, error: (err as Error).message }),
        },
        (file, onChange) => watchFile(file, onChange, logger),
      );
      options = mediaOptionsFrom(flags, followed.current().config);
      mountTimeoutMs = followed.current().config.media.mount_timeout;
      onConfig?.(followed.current());
    }
    // USB disks from the block layer: the truth of "a USB disk is here", judged MEDIA_UNREADABLE when
    // none of its filesystems is mounted in time. usb-detection's attach, where it runs, looks again early.
    unreadable = await watchUnreadable(realUsbDiskSystem(logger), { current: () => ({ timeoutMs: mountTimeoutMs, filesystems: options.filesystems }), now: () => new Date() }, logger, report);
    usb = startUsbMonitor(logger, (change) => {
      if (change.type === 'usb-attached') unreadable?.hint();
      emit({ ...change, at: new Date().toISOString() });
    }, { moduleName: flags.usbModule });
    watch = await watchMedia(system, options, logger, report);
    logger.info('following media', { roots: options.roots, filesystems: options.filesystems, allowLoopDevices: options.allowLoopDevices });
    const received = await Promise.race([signal.received, ...(until ? [until.then(() => 'output closed')] : [])]);
    logger.info('stopping', { reason: received });
    await restarting;
  } finally {
    await followed?.stop();
    await Promise.all([usb?.stop(), watch?.stop(), unreadable?.stop()]);
    signal.dispose();
  }
}
