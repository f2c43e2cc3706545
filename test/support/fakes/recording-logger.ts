// A Logger that keeps every line (level, message, fields) for tests to assert on.

import type { Logger } from '../../../src/log/index.js';

export type LoggedLine = [level: string, message: string, fields: Record<string, unknown>];

export function recordingLogger(): { lines: LoggedLine[]; logger: Logger } {
  const lines: LoggedLine[] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}): void => void lines.push([level, message, fields]);
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}
