// Process signals that end a long-running command (the daemon, `watch`): SIGTERM from systemd,
// SIGINT from a terminal; and, for commands that print events, the reader of their output leaving.

import { EventEmitter } from 'node:events';

/** Resolves with the first of `signals` to arrive; `dispose` removes the handlers. */
export function untilSignal(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let handler: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => { handler = resolve; });
  for (const signal of signals) process.on(signal, handler);
  return { received, dispose: () => { for (const signal of signals) process.off(signal, handler); } };
}

/**
 * Resolves when the reader of `stream` goes away (EPIPE: `watch | head -1` once head has exited), so
 * that a command printing events stops instead of dying on the write error. Never resolves for a
 * stream that is not an event emitter (tests' captured output).
 */
export function untilOutputClosed(stream: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!(stream instanceof EventEmitter)) return;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') resolve();
      else throw err;
    });
  });
}
