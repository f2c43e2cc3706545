// Logging for the daemon and the watcher until the logging issue brings winston: one JSON object a
// line on stderr (journald keeps it as is). JSON escapes control characters, so untrusted text in
// fields (labels, USB strings) cannot forge a line.

/** Structured log lines: a fixed message plus fields (untrusted text goes in fields, never the message). */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Detail for troubleshooting (progress steps); optional so that small test loggers can skip it. */
  debug?(message: string, fields?: Record<string, unknown>): void;
}

export function jsonLinesLogger(out: { write(text: string): unknown }, now: () => Date = () => new Date()): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>): void => {
    out.write(JSON.stringify({ time: now().toISOString(), level, message, ...fields }) + '\n');
  };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}
