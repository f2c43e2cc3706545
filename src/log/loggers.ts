// The winston-backed loggers (the daemon's and watch's), imported by the commands that run them and
// nothing else: winston costs some 70 ms at start-up, which `inspect`, `check` and `--version` must
// not pay (issue 16). The light part of logging (printable, the formats, the types) is index.ts.
export { createLogger, resolveFormat, stderrEnvironment } from './logger.js';
export { switchableLogger } from './switchable-logger.js';
