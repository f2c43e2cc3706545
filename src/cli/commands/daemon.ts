// `usb-updater daemon`: the long-running service that systemd starts (src/daemon/service.ts).
// Registration here; the pipeline and the media machinery load when it runs. Exits 0 within two
// seconds of SIGTERM.

import { DEFAULT_CONFIG_PATH } from '../../system/config/config-file.js';
import type { CliCommand } from '../command.js';
import { addMediaFlags, type MediaFlags } from '../media-flags.js';

export const daemonCommand: CliCommand = {
  register(program, { io, run }) {
    addMediaFlags(program.command('daemon'))
      .description('Run the service: detect USB sticks as they are mounted and install, through the Mender client, the artifact the policy selects on each (one stick at a time). Without a config file it only detects and logs.')
      .addHelpText(
        'after',
        `\nThe config is --config, else ${DEFAULT_CONFIG_PATH} when it exists. Logs on stderr as --log-format or the config's logging section say (auto: journal under systemd, colours on a terminal, else one JSON object a line). Stops cleanly on SIGTERM or SIGINT (exit 0).\nExit codes: 0 stopped by a signal, 1 invalid config, 2 usage error, 3 the mount table cannot be read.`,
      )
      .exitOverride()
      .action(async (options: MediaFlags) => {
        const [{ runDaemon }, { switchableLogger, stderrEnvironment }, { loadPolicy }] = await Promise.all([import('../../daemon/service.js'), import('../../log/loggers.js'), import('../load-config.js')]);
        const logger = switchableLogger(options.logFormat, stderrEnvironment(io.stderr));
        try {
          await run(() => runDaemon(options, logger, (path) => loadPolicy(path, io)), false);
        } finally {
          await logger.close();
        }
      });
  },
};
