// The command-line flags `watch` and `daemon` share (media roots, filesystems, loop devices, the
// config file). Registering them loads nothing heavy: the media machinery loads when a command runs.

import { Option, type Command } from 'commander';
// options.ts itself, not the media barrel: the barrel loads the stick scanner and with it the
// artifact reader and tar-stream, which every command's start-up (--help, --version) would then pay for.
import { DEFAULT_MEDIA_OPTIONS } from '../media/options.js';
import type { FollowOptions } from '../daemon/follow-media.js';
import { LOG_FORMATS, type LogFormat } from '../log/index.js';

export interface MediaFlags extends FollowOptions {
  logFormat?: LogFormat;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addMediaFlags(command: Command): Command {
  return command
    .option('-c, --config <file>', 'the config file: its media section gives the options below, and it is reloaded when it changes (without it: the flags and the defaults)')
    .addOption(new Option('--media-root <dir>', `mount points at or under DIR count as media (repeatable; default ${DEFAULT_MEDIA_OPTIONS.roots.join(', ')})`).argParser(collect).default([]))
    .addOption(new Option('--filesystem <type>', `filesystem type a stick may carry (repeatable; default ${DEFAULT_MEDIA_OPTIONS.filesystems.join(', ')})`).argParser(collect).default([]))
    .option('--allow-loop', 'accept loop devices under a media root (tests and demos)', false)
    .addOption(
      new Option('--log-format <format>', 'log lines on stderr: journal (syslog prefixes, for systemd), human (colours on a terminal), json (one object a line); default: logging.format of the config, else auto (journal under systemd, human on a terminal, else json)').choices(LOG_FORMATS),
    )
    // For tests: the module the USB monitor loads, to run as if usb-detection were not installed.
    .addOption(new Option('--usb-module <name>').default('usb-detection').hideHelp());
}
