// Public surface of logging, the leaf every layer may use: the Logger interface and its types, the log
// formats, and printable()/shorten(), the escaping of untrusted text bound for a terminal or a text
// log line. Light on purpose: the winston-backed loggers themselves are in loggers.ts, imported only
// by the commands that run them (daemon, watch), so that importing this costs no winston.
export type { ClosableLogger, LogEnvironment, LogFormat, Logger, LoggerOptions, LogLevel } from './logger.js';
export type { SwitchableLogger } from './switchable-logger.js';
export { LOG_FORMATS } from './formats.js';
export { printable, shorten } from './printable.js';
