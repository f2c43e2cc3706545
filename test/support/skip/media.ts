// Helpers for the media tests: the skip rules for root and for the optional usb-detection addon
// (skip with the reason on a developer machine, fail in CI, like needsTool), and running a
// long-lived command (`watch`, `daemon`) as a real process that a test ends with SIGTERM.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { BIN } from './fixtures.js';

function skipOrFail(reason: string): string {
  if (process.env.CI === 'true') throw new Error(`${reason}: CI runs everything, nothing may skip`);
  return reason;
}

/** The `skip` option for tests that mount loop devices. */
export function needsRoot(): string | false {
  return process.getuid?.() === 0 ? false : skipOrFail('needs root (loop devices and mounts)');
}

/** The `skip` option for tests of the real usb-detection addon (it builds only with libudev-dev). */
export function needsUsbDetection(): string | false {
  try {
    createRequire(import.meta.url)('usb-detection');
    return false;
  } catch {
    return skipOrFail('needs the optional usb-detection addon (apt-get install libudev-dev, then npm ci)');
  }
}

export interface RunningCommand {
  child: ChildProcessWithoutNullStreams;
  /** stdout lines so far. */
  lines: string[];
  stderr(): string;
  /** Resolves with the first stdout line (from now on or already seen) that `match` accepts. */
  waitForLine(match: (line: string) => boolean, ms?: number): Promise<string>;
  /** Resolves once stderr holds `text` (the daemon logs there); rejects after `ms`. */
  waitForStderr(text: string, ms?: number): Promise<void>;
  /** Sends SIGTERM; resolves with the exit code and how long the process took to exit. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Starts `usb-updater ARGS` from `bin`: tsc's output by default, or another build of it (the bundle). */
export function startCommand(args: string[], bin = BIN, env: NodeJS.ProcessEnv = process.env): RunningCommand {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  let stderr = '';
  const waiters: Array<{ match: (line: string) => boolean; resolve: (line: string) => void }> = [];
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    stderr: () => stderr,
    waitForLine(match, ms = 5000) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching line within ${ms} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), ms);
        waiters.push({ match, resolve: (line) => { clearTimeout(timer); resolve(line); } });
      });
    },
    async waitForStderr(text, ms = 5000) {
      const start = Date.now();
      while (!stderr.includes(text)) {
        if (Date.now() - start > ms) throw new Error(`stderr has no ${JSON.stringify(text)} within ${ms} ms:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async terminate() {
      const start = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const result = await exited;
      return { ...result, ms: Date.now() - start };
    },
  };
}
