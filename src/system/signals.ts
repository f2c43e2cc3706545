// Process signals that end a long-running command (the daemon, `watch`): SIGTERM from systemd,
// SIGINT from a terminal.

/** Resolves with the first of `signals` to arrive; `dispose` removes the handlers. */
export function untilSignal(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let handler: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => { handler = resolve; });
  for (const signal of signals) process.on(signal, handler);
  return { received, dispose: () => { for (const signal of signals) process.off(signal, handler); } };
}
