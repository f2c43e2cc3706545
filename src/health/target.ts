// How a check's target is named in messages (`unit app.service`, `GET http://…`), and how untrusted
// text (a command's output, an HTTP body) is cut down before it goes into one: the runner and the
// probes word things the same way.

import type { HealthCheck } from './model.js';

/** Characters of untrusted output quoted in a message. */
export const EXCERPT_CHARS = 200;

const quoteArg = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg));

/** `unit app.service`, `GET http://127.0.0.1:8080/health`, `connect 127.0.0.1:22`, `/usr/bin/app --selftest`, `file /data/app/ready`. */
export function describeTarget(check: HealthCheck): string {
  switch (check.type) {
    case 'systemd-unit':
      return `unit ${check.unit}`;
    case 'http':
      return `GET ${check.url}`;
    case 'tcp':
      return `connect ${check.host.includes(':') ? `[${check.host}]` : check.host}:${check.port}`;
    case 'command':
      return check.command.map(quoteArg).join(' ');
    case 'file':
      return `file ${check.path}`;
  }
}

/**
 * The last non-empty line of `text` (or the first, with `from: 'start'`), control characters made
 * spaces, at most EXCERPT_CHARS: a command or a server chooses these bytes, and the message lands
 * in logs and on a terminal.
 */
export function excerpt(text: string, from: 'start' | 'end' = 'end'): string {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  const line = (from === 'end' ? lines.at(-1) : lines[0]) ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = line.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  if (clean.length <= EXCERPT_CHARS) return clean;
  return from === 'end' ? `…${clean.slice(clean.length - EXCERPT_CHARS)}` : `${clean.slice(0, EXCERPT_CHARS)}…`;
}
