// The demo's narration: one short line per phase, stamped with the seconds since the start, and the
// translation of the daemon's real JSON log lines into such lines. Nothing here decides an outcome:
// every line about the device quotes what the daemon, `health --json` or `status --json` said.

import { basename } from 'node:path';

/** Where narration goes (stdout in `npm run demo`, a buffer in tests). */
export interface Sink {
  write(text: string): unknown;
}

export class Narrator {
  private readonly start: number;

  constructor(private readonly sink: Sink, private readonly now: () => number = () => performance.now()) {
    this.start = now();
  }

  /** `[ 3.1s] text`; continuation lines are indented under the text (empty ones stay empty). */
  say(text: string): void {
    const seconds = ((this.now() - this.start) / 1000).toFixed(1).padStart(4);
    const [first, ...rest] = text.split('\n');
    const indent = ' '.repeat(seconds.length + 4);
    this.sink.write([`[${seconds}s] ${first ?? ''}`, ...rest.map((line) => (line === '' ? line : `${indent}${line}`))].join('\n') + '\n');
  }
}

/** One line of the daemon's log, as JSON. */
export type LogLine = Record<string, unknown> & { message?: unknown; level?: unknown };

interface Candidate {
  path?: unknown;
  verdict?: unknown;
  reasons?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** `release-9.0.mender REJECT DEVICE_TYPE_MISMATCH` for each candidate the daemon listed. */
export function describeCandidates(candidates: unknown): string {
  if (!Array.isArray(candidates) || candidates.length === 0) return 'no candidate file on the stick';
  return (candidates as Candidate[])
    .map((c) => {
      const codes = Array.isArray(c.reasons) ? c.reasons.map(text).join(' ') : '';
      return `${basename(text(c.path))} ${text(c.verdict).toUpperCase()}${codes === '' ? '' : ` ${codes}`}`;
    })
    .join(', ');
}

/**
 * What the daemon's message is, whatever the prefix its release gives the stable outcome messages
 * (`installed`, or `usb-updater: installed release-2.0` once the feedback work names them so).
 */
export function outcomeOf(line: LogLine): 'mounted' | 'installed' | 'nothing' | 'failed' | 'boot-check' | 'ready' | 'report' | 'no-report' | null {
  const message = typeof line.message === 'string' ? line.message.replace(/^usb-updater: /, '') : '';
  if (message === 'report written to the stick') return 'report';
  if (message === 'report not written to the stick') return 'no-report';
  if (message === 'stick mounted') return 'mounted';
  if (message === 'following media') return 'ready';
  if (message.startsWith('boot check: ')) return 'boot-check';
  if (message === 'nothing to install') return 'nothing';
  if (message === 'installed' || (message.startsWith('installed ') && typeof line.artifact === 'string' && 'rebooting' in line)) return 'installed';
  if (message === 'install failed' || message === 'stick not handled' || message.startsWith('failed ')) return 'failed';
  return null;
}

/**
 * The install's progress from a line of the device's console (the feedback console the demo's
 * config points at a file): `installing release-2.0: 45%`; null for the console's other lines,
 * which repeat what the daemon's log already says.
 */
export function describeConsoleLine(line: string): string | null {
  const progress = /^usb-updater: installing (.+) (\d+)%; keep the stick in$/.exec(line);
  return progress === null ? null : `installing ${progress[1] ?? ''}: ${progress[2] ?? ''}%`;
}

/** The narration for a daemon log line, or null for lines the demo does not narrate. */
export function describeDaemonLine(line: LogLine, stick: string): string | null {
  switch (outcomeOf(line)) {
    case 'ready':
      return 'daemon: following media (waiting for sticks)';
    case 'boot-check':
      return `daemon: ${text(line.message)}`;
    case 'mounted': {
      const identity = (line.stick ?? {}) as Record<string, unknown>;
      return `${stick}: mounted read-only at ${text(identity.mountPoint)} (${text(identity.fsType)}, label ${text(identity.label ?? '(none)')}); checking`;
    }
    case 'installed':
      return `${stick}: installed ${text(line.artifact)}${line.rebooting === true ? '; the daemon asks for a reboot' : ''}`;
    case 'nothing':
      return `${stick}: nothing installed: ${describeCandidates(line.candidates)}`;
    case 'failed':
      return `${stick}: failed: ${text(line.code)} ${text(line.error)}`;
    case 'report': {
      const files = Array.isArray(line.files) ? line.files.map((f) => basename(text(f))).join(', ') : '';
      return `${stick}: report written to the stick (${files})`;
    }
    case 'no-report':
      return `${stick}: no report on the stick: ${text(line.reason)}`;
    case null:
      // Warnings (no USB addon in the simulator, say) are the daemon's business; errors are shown.
      return line.level === 'error' ? `daemon error: ${text(line.message)}` : null;
  }
}
