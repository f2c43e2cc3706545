// The logger of the long-running commands (daemon, watch): made from --log-format before any config
// is read, then remade from the config's `logging` section each time the config is loaded, with
// --log-format still winning. Callers hold one Logger whose lines go to the current output.

import { createLogger, stderrEnvironment, type ClosableLogger, type LogEnvironment, type LogFormat, type Logger, type LoggerOptions } from './logger.js';

export interface SwitchableLogger extends Logger {
  /** Applies a config's logging section (the flag's format, when given, stays). */
  configure(options: LoggerOptions): void;
  close(): Promise<void>;
}

export function switchableLogger(formatFlag: LogFormat | undefined, env: LogEnvironment = stderrEnvironment()): SwitchableLogger {
  const withFlag = (options: LoggerOptions): LoggerOptions => (formatFlag === undefined ? options : { ...options, format: formatFlag });
  let applied = withFlag({ format: 'auto', level: 'info', file: null });
  let current: ClosableLogger = createLogger(applied, env);
  const closing: Promise<void>[] = [];
  return {
    info: (message, fields) => current.info(message, fields),
    warn: (message, fields) => current.warn(message, fields),
    error: (message, fields) => current.error(message, fields),
    debug: (message, fields) => current.debug?.(message, fields),
    configure(options) {
      const next = withFlag(options);
      if (JSON.stringify(next) === JSON.stringify(applied)) return;
      closing.push(current.close());
      applied = next;
      current = createLogger(next, env);
    },
    async close() {
      await Promise.all([...closing, current.close()]);
    },
  };
}
