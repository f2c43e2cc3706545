// What `watch` and `daemon` share: the media flags (until the policy config carries them), and
// following media events until SIGTERM or SIGINT, with everything stopped before returning.

import { Option, type Command } from 'commander';
import { checkMediaOptions, DEFAULT_MEDIA_OPTIONS, watchMedia, type MediaEvent, type MediaOptions, type MediaWatch } from '../media/index.js';
import { realMediaSystem, startUsbMonitor, untilSignal, type Logger } from '../system/index.js';

export interface MediaFlags {
  mediaRoot: string[];
  filesystem: string[];
  allowLoop: boolean;
  usbModule: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addMediaFlags(command: Command): Command {
  return command
    .addOption(new Option('--media-root <dir>', `mount points at or under DIR count as media (repeatable; default ${DEFAULT_MEDIA_OPTIONS.roots.join(', ')})`).argParser(collect).default([]))
    .addOption(new Option('--filesystem <type>', `filesystem type a stick may carry (repeatable; default ${DEFAULT_MEDIA_OPTIONS.filesystems.join(', ')})`).argParser(collect).default([]))
    .option('--allow-loop', 'accept loop devices under a media root (tests and demos)', false)
    // For tests: the module the USB monitor loads, to run as if usb-detection were not installed.
    .addOption(new Option('--usb-module <name>').default('usb-detection').hideHelp());
}

export function mediaOptionsFrom(flags: MediaFlags): MediaOptions {
  return checkMediaOptions({
    roots: flags.mediaRoot.length > 0 ? flags.mediaRoot : [...DEFAULT_MEDIA_OPTIONS.roots],
    filesystems: flags.filesystem.length > 0 ? flags.filesystem : [...DEFAULT_MEDIA_OPTIONS.filesystems],
    allowLoopDevices: flags.allowLoop,
  });
}

/**
 * Reports media events through `emit` until SIGTERM or SIGINT (or `until` resolves); returns once
 * everything has stopped.
 */
export async function followMediaUntilSignal(flags: MediaFlags, logger: Logger, emit: (event: MediaEvent) => void, until?: Promise<void>): Promise<void> {
  const options = mediaOptionsFrom(flags);
  // Handlers first: a SIGTERM during start-up must still end in a clean stop, not a kill.
  const signal = untilSignal();
  const usb = startUsbMonitor(logger, (change) => emit({ ...change, at: new Date().toISOString() }), { moduleName: flags.usbModule });
  let watch: MediaWatch | undefined;
  try {
    watch = await watchMedia(realMediaSystem(logger), options, logger, emit);
    logger.info('following media', { roots: options.roots, filesystems: options.filesystems, allowLoopDevices: options.allowLoopDevices });
    const received = await Promise.race([signal.received, ...(until ? [until.then(() => 'output closed')] : [])]);
    logger.info('stopping', { reason: received });
  } finally {
    await Promise.all([usb.stop(), watch?.stop()]);
    signal.dispose();
  }
}
