// Public surface of logging, the leaf every layer may use: the Logger interface, the winston-backed
// logger with its formats (journal, human, JSON), the switchable logger of the long-running commands
// and printable(), the escaping of untrusted text bound for a terminal or a text log line.
export { createLogger, resolveFormat, stderrEnvironment, type ClosableLogger, type LogEnvironment, type LogFormat, type Logger, type LoggerOptions, type LogLevel } from './logger.js';
export { printable, shorten } from './printable.js';
export { LOG_FORMATS, switchableLogger, type SwitchableLogger } from './switchable-logger.js';
