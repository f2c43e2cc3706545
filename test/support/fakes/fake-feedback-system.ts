// A FeedbackSystem with a hand-driven clock and hook runs the test ends itself, for what depends on
// time and on a hook still running: progress throttling and coalescing. Files go to the real disk.

import { appendFile, readFile, writeFile } from 'node:fs/promises';
import type { FeedbackSystem, HookRun } from '../../../src/feedback/index.js';

export interface HeldRun {
  argv: readonly string[];
  env: Record<string, string>;
  finish(run?: HookRun): void;
}

export interface FakeFeedbackSystem extends FeedbackSystem {
  /** Hook runs started, in order; each waits for finish(). */
  runs: HeldRun[];
  /** Moves the clock on and fires the timers that are due. */
  advance(ms: number): void;
}

export function fakeFeedbackSystem(): FakeFeedbackSystem {
  let clock = 0;
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const runs: HeldRun[] = [];
  return {
    runs,
    writeFile: (path, text) => writeFile(path, text, { flag: 'r+' }).then(() => undefined),
    appendFile: (path, text) => appendFile(path, text),
    readFile: (path) => readFile(path, 'utf8'),
    runHook: (argv, env) =>
      new Promise<HookRun>((resolve) => {
        runs.push({ argv, env, finish: (run = { kind: 'exited', code: 0, signal: null, stderr: '' }) => resolve(run) });
      }),
    now: () => clock,
    setTimer: (fn, ms) => {
      const timer = { at: clock + ms, fn, cancelled: false };
      timers.push(timer);
      return { cancel: () => void (timer.cancelled = true) };
    },
    advance(ms) {
      clock += ms;
      for (const timer of timers.filter((t) => !t.cancelled && t.at <= clock)) {
        timer.cancelled = true;
        timer.fn();
      }
    },
  };
}

/** A logger that keeps its lines. */
export function recordingLog(): { lines: { level: string; message: string; fields: Record<string, unknown> }[]; info: (m: string, f?: Record<string, unknown>) => void; warn: (m: string, f?: Record<string, unknown>) => void; error: (m: string, f?: Record<string, unknown>) => void; debug: (m: string, f?: Record<string, unknown>) => void } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}): void => void lines.push({ level, message, fields });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}
