// Logging for the daemon and the watcher, through winston: journald's format under systemd (a
// `<N>` syslog prefix per line, no colours, no times: the journal adds its own), colours on a
// terminal, JSON lines otherwise, and optionally a rotating JSON file (rotating-file-stream: winston's
// own File transport drops lines when it rotates, winstonjs/winston#1655). Untrusted text (labels,
// USB strings, artifact names) is escaped in every format, so that it cannot forge a line.

import { fstatSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Writable } from 'node:stream';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import winston from 'winston';
import { printable } from './printable.js';

/**
 * Structured log lines: a stable message plus fields. Untrusted text belongs in fields; where a
 * message names an artifact (the outcome lines), every format escapes it as it escapes fields.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Detail for troubleshooting (progress steps); optional so that small test loggers can skip it. */
  debug?(message: string, fields?: Record<string, unknown>): void;
}

export type LogFormat = 'auto' | 'journal' | 'human' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** A rotating JSON-lines file beside the main output; sizes in bytes. */
  file: { path: string; max_size: number; max_files: number } | null;
}

export interface LogEnvironment {
  /** The process environment: JOURNAL_STREAM (systemd), NO_COLOR. */
  vars: Record<string, string | undefined>;
  /** Where lines go (stderr). */
  out: { write(text: string): unknown; isTTY?: boolean };
  /** `device:inode` of `out`, to compare with JOURNAL_STREAM; null when `out` is no descriptor of ours. */
  outId: string | null;
  now?: () => Date;
}

export interface ClosableLogger extends Logger {
  /** Flushes and closes the file output, if any. */
  close(): Promise<void>;
}

/** The environment of a command writing to `out`: process.stderr, or a test's stand-in. */
export function stderrEnvironment(out: LogEnvironment['out'] = process.stderr): LogEnvironment {
  let outId: string | null = null;
  try {
    if (out === process.stderr) {
      const stat = fstatSync(2);
      outId = `${stat.dev}:${stat.ino}`;
    }
  } catch {
    // No stderr at all: then it cannot be the journal's stream either.
  }
  return { vars: process.env, out, outId };
}

/**
 * What `auto` means here. systemd sets JOURNAL_STREAM to the `device:inode` of the stream it
 * connected to the journal; a child whose stderr was redirected elsewhere inherits the variable,
 * so it counts only when it names our stderr (sd_journal_stream_fd(3), systemd.exec(5)).
 */
export function resolveFormat(format: LogFormat, env: LogEnvironment): Exclude<LogFormat, 'auto'> {
  if (format !== 'auto') return format;
  const journal = env.vars['JOURNAL_STREAM'];
  if (journal !== undefined && journal !== '' && env.outId === journal) return 'journal';
  return env.out.isTTY === true ? 'human' : 'json';
}

/** sd-daemon(3) prefixes: the journal reads them as the line's priority. */
const SYSLOG_PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** A field value as text: bare when it is one plain word, else quoted; escaped either way. */
function fieldValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  if (typeof value === 'string' && (text === '' || /[\s"=\\]/.test(text))) return printable(JSON.stringify(text));
  return printable(text);
}

/** `key=value` pairs; fields left undefined are left out. */
function keyValues(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${printable(key)}=${fieldValue(value)}`)
    .join('');
}

/** What each line carries through winston: fields apart, so none of them can replace the level or message. */
interface Entry {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
  time: string;
}

const ENTRY_KEYS = new Set(['time', 'level', 'message']);

const entryOf = (info: winston.Logform.TransformableInfo): Entry => info as unknown as Entry;

const jsonLine = winston.format.printf((info) => {
  const { time, level, message, fields } = entryOf(info);
  // The entry's own keys come first; a field of the same name is kept under _name, never replaces them.
  const line: Record<string, unknown> = { time, level, message };
  for (const [key, value] of Object.entries(fields)) line[ENTRY_KEYS.has(key) ? `_${key}` : key] = value;
  return JSON.stringify(line);
});

const journalLine = winston.format.printf((info) => {
  const { level, message, fields } = entryOf(info);
  return `<${SYSLOG_PRIORITY[level]}>${printable(message)}${keyValues(fields)}`;
});

const COLOURS: Record<LogLevel, string> = { error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[32m', debug: '\x1b[90m' };

function humanLine(colour: boolean): winston.Logform.Format {
  return winston.format.printf((info) => {
    const { time, level, message, fields } = entryOf(info);
    const name = level.toUpperCase().padEnd(5);
    return `${time} ${colour ? `${COLOURS[level]}${name}\x1b[0m` : name} ${printable(message)}${keyValues(fields)}`;
  });
}

/** Winston writes to streams; the output here is anything with write() (stderr, a test's buffer). */
function writableOf(out: LogEnvironment['out']): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      out.write(chunk.toString());
      callback();
    },
  });
}

/** A logger for `options` in `env`: see resolveFormat for `auto`. */
export function createLogger(options: LoggerOptions, env: LogEnvironment = stderrEnvironment()): ClosableLogger {
  const format = resolveFormat(options.format, env);
  const colour = format === 'human' && env.out.isTTY === true && (env.vars['NO_COLOR'] ?? '') === '';
  const lineFormat = format === 'json' ? jsonLine : format === 'journal' ? journalLine : humanLine(colour);
  const output = writableOf(env.out);
  const transports: winston.transport[] = [new winston.transports.Stream({ stream: output, format: lineFormat })];
  const file = options.file === null ? null : rotatingFile(options.file, output);
  const fileTransport = file === null ? null : new winston.transports.Stream({ stream: file, format: jsonLine });
  if (fileTransport !== null) transports.push(fileTransport);
  // The lines are formatted per output, by each transport: the logger's own format passes entries on.
  const logger = winston.createLogger({ level: options.level, format: winston.format((info) => info)(), transports });
  const now = env.now ?? ((): Date => new Date());

  const line = (level: LogLevel) => (message: string, fields: Record<string, unknown> = {}): void => {
    logger.log({ level, message, fields, time: now().toISOString() } as unknown as winston.LogEntry);
  };
  return {
    error: line('error'),
    warn: line('warn'),
    info: line('info'),
    debug: line('debug'),
    close: () =>
      new Promise<void>((resolve) => {
        if (file === null || fileTransport === null || file.closed) {
          resolve();
          return;
        }
        // Only the file is closed: work still finishing after a stop (a boot check, a reboot
        // request) goes on logging to the main output, where a line after the end of the whole
        // logger would crash the process (write after end).
        logger.remove(fileTransport);
        // Every line has reached the file once its stream has closed.
        file.once('close', () => resolve());
        file.end();
      }),
  };
}

/**
 * The log file: `path` while it is under `max_size`, then renamed path.1 (path.1 to path.2…) as
 * logrotate does, `max_files` files in all. A file that cannot be written is said once on the main
 * output; logging there goes on.
 */
function rotatingFile(file: NonNullable<LoggerOptions['file']>, output: Writable): RotatingFileStream {
  const stream = createStream(basename(file.path), { path: dirname(file.path), size: `${file.max_size}B`, rotate: file.max_files - 1 });
  let reported = false;
  stream.on('error', (err) => {
    if (!reported) output.write(`${JSON.stringify({ level: 'error', message: 'the log file cannot be written', path: file.path, error: err.message })}\n`);
    reported = true;
  });
  return stream;
}
