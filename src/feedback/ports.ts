// What the feedback channels need from the system, injected so that the pure logic here is tested
// against fake sysfs trees, recording hooks and a fake clock. src/system/feedback/feedback-system.ts is the
// real one.

/** How one hook run ended. */
export type HookRun =
  | { kind: 'exited'; code: number | null; signal: string | null; stderr: string }
  | { kind: 'timed-out'; stderr: string }
  | { kind: 'not-started'; message: string };

export interface FeedbackSystem {
  /** Replaces the content of an existing file (a sysfs attribute); never creates one. */
  writeFile(path: string, text: string): Promise<void>;
  /** Appends to an existing file or terminal (a console); never creates one. */
  appendFile(path: string, text: string): Promise<void>;
  /** Reads a small file (max_brightness); rejects when it cannot. */
  readFile(path: string): Promise<string>;
  /**
   * Runs `argv` with these extra environment variables; kills it and its children at the timeout,
   * or when `signal` aborts (then the run counts as timed out).
   */
  runHook(argv: readonly string[], env: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<HookRun>;
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `fn` after `ms`; the timer must not keep the process alive. */
  setTimer(fn: () => void, ms: number): { cancel(): void };
}
