// Follows lines as a text grows (the daemon's stderr in the simulator, a file it appends to): each
// complete line is parsed once, handed to a listener (the narration) and offered to whoever waits
// for a line of a given kind. A line that is not JSON is kept as a message: nothing said is lost.

import type { LogLine } from './narration.js';

/** How often stderr is looked at for new lines: the narration lags the daemon by at most this. */
const POLL_MS = 50;

interface Waiter {
  match: (line: LogLine) => boolean;
  resolve: (line: LogLine) => void;
  reject: (error: Error) => void;
}

export class LogFollower {
  private consumed = 0;
  private readonly waiters = new Set<Waiter>();
  private readonly timer: NodeJS.Timeout;

  /** `read`: the whole text so far (it only ever grows). */
  constructor(private readonly read: () => string, private readonly listener: (line: LogLine) => void) {
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /** The next line (from now on) for which `match` holds; rejects after `ms` with the log so far. */
  next(what: string, match: (line: LogLine) => boolean, ms: number): Promise<LogLine> {
    const line = new Promise<LogLine>((resolve, reject) => {
      const end = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const timer = setTimeout(() => {
        end();
        reject(new Error(`no line said ${what} within ${ms / 1000} s; the text:\n${this.read()}`));
      }, ms);
      const waiter: Waiter = {
        match,
        resolve: (found) => {
          end();
          resolve(found);
        },
        reject: (error) => {
          end();
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
    // A wait that a failed step left behind is rejected by stop(): not an unhandled rejection.
    line.catch(() => undefined);
    return line;
  }

  /** Reads what is left, stops polling and ends every wait still open. */
  stop(): void {
    this.poll();
    clearInterval(this.timer);
    for (const waiter of [...this.waiters]) waiter.reject(new Error('the daemon stopped'));
  }

  private poll(): void {
    const text = this.read();
    const end = text.lastIndexOf('\n') + 1;
    if (end <= this.consumed) return;
    const lines = text.slice(this.consumed, end).split('\n').filter((l) => l !== '');
    this.consumed = end;
    for (const raw of lines) {
      const line = parse(raw);
      this.listener(line);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(line)) waiter.resolve(line);
      }
    }
  }
}

function parse(raw: string): LogLine {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as LogLine;
  } catch {
    // Not JSON: kept as text below.
  }
  return { level: 'info', message: raw };
}
