// One short line per phase on a console the technician sees (/dev/console, /dev/tty1). Artifact
// names and error messages come from the stick: escaped. A console that blocks (a serial line held
// by flow control) holds one write at most: lines asked for meanwhile replace each other.

import { printable } from '../log/index.js';
import type { Logger } from '../log/index.js';
import type { Phase, PhaseInfo } from './phases.js';
import { progressGate } from './progress-gate.js';
import type { FeedbackSystem } from './ports.js';

/** Longest console line, so that one line stays one line on an 80-column screen. */
const MAX_LINE = 79;

/** The line shown for a phase, without its newline. */
export function consoleLine(phase: Phase, info: PhaseInfo): string {
  const artifact = info.artifact ?? 'the update';
  const text = ((): string => {
    switch (phase) {
      case 'stick-seen':
        return 'stick detected';
      case 'checking':
        return 'checking the stick; keep it in';
      case 'installing':
        return `installing ${artifact}${info.percent === undefined ? '' : ` ${info.percent}%`}; keep the stick in`;
      case 'rebooting':
        if (info.reboot === 'on-removal') return `installed ${artifact}; remove the stick to reboot`;
        if (info.reboot === 'manual') return `installed ${artifact}; reboot to start it`;
        return `installed ${artifact}; rebooting`;
      case 'verifying':
        return `checking ${artifact} after the reboot`;
      case 'success':
        return `${artifact} installed and running`;
      case 'nothing':
        return 'nothing to install on this stick';
      case 'failure':
        return `update failed: ${info.error ? `${info.error.code} ${info.error.message}` : 'unknown error'}`;
    }
  })();
  const line = printable(`usb-updater: ${text}`);
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}

export interface ConsoleChannel {
  show(phase: Phase, info: PhaseInfo): void;
  idle(): Promise<void>;
}

export function consoleChannel(path: string, system: FeedbackSystem, log: Logger): ConsoleChannel {
  let next: string | null = null;
  let busy = false;
  let writing: Promise<void> = Promise.resolve();
  let reported = false;

  const drain = async (): Promise<void> => {
    busy = true;
    try {
      for (let line = next; line !== null; line = next) {
        next = null;
        try {
          await system.appendFile(path, `${line}\n`);
        } catch (err) {
          if (!reported) log.warn('feedback console cannot be written; ignoring it', { console: path, error: (err as Error).message });
          reported = true;
        }
      }
    } finally {
      busy = false;
    }
  };

  const show = progressGate(system, (phase, info) => {
    next = consoleLine(phase, info);
    if (!busy) writing = drain();
  });
  return { show, idle: () => writing };
}
