// The guest's serial console as it comes: every line kept (and appended to a file for the test's
// diagnostics), and a wait for the first line after a mark that matches a pattern, with the
// console's tail in the error when it does not come.

import { appendFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

export interface ConsoleLine {
  text: string;
  /** Milliseconds since the console was opened (host time). */
  at: number;
}

/** ANSI escape sequences (ESC [ … letter). */
const ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

interface Waiter {
  pattern: RegExp;
  from: number;
  done: (line: ConsoleLine) => void;
}

export class ConsoleLog {
  readonly lines: ConsoleLine[] = [];
  private partial = '';
  private readonly waiters = new Set<Waiter>();
  private ended: Error | null = null;
  private readonly opened = Date.now();

  constructor(stream: Readable, private readonly file: string) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.take(chunk));
  }

  /** The index of the next line: waits from a mark only see lines after it. */
  mark(): number {
    return this.lines.length;
  }

  /** The console ended (QEMU exited): every wait still open fails with `reason`. */
  end(reason: Error): void {
    if (this.partial !== '') this.push(this.partial);
    this.partial = '';
    this.ended = reason;
    for (const waiter of this.waiters) waiter.done({ text: '', at: -1 });
  }

  /** Lines from `from` on that match `pattern`. */
  matching(pattern: RegExp, from = 0): ConsoleLine[] {
    return this.lines.slice(from).filter((l) => pattern.test(l.text));
  }

  tail(count = 40): string {
    return this.lines.slice(-count).map((l) => l.text).join('\n');
  }

  /** The first line from `from` on that matches `pattern`, waiting up to `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<ConsoleLine> {
    const seen = this.matching(pattern, from)[0];
    if (seen !== undefined) return seen;
    if (this.ended !== null) throw new Error(`vm: console ended (${this.ended.message}) before a line matching ${pattern}\n--- console tail ---\n${this.tail()}`);
    let timer: NodeJS.Timeout | undefined;
    let waiter: Waiter | undefined;
    try {
      const line = await new Promise<ConsoleLine>((resolve, reject) => {
        waiter = { pattern, from, done: resolve };
        this.waiters.add(waiter);
        timer = setTimeout(() => reject(new Error(`vm: no console line matching ${pattern} within ${timeoutMs} ms\n--- console tail ---\n${this.tail()}`)), timeoutMs);
      });
      if (line.at < 0) throw new Error(`vm: console ended (${(this.ended as Error | null)?.message ?? '?'}) before a line matching ${pattern}\n--- console tail ---\n${this.tail()}`);
      return line;
    } finally {
      clearTimeout(timer);
      if (waiter !== undefined) this.waiters.delete(waiter);
    }
  }

  private take(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const text of parts) this.push(text);
  }

  private push(raw: string): void {
    // Strip the terminal escapes systemd and the kernel write.
    const text = raw.replace(ESCAPES, '').replace(/\r/g, '');
    const line = { text, at: Date.now() - this.opened };
    this.lines.push(line);
    appendFileSync(this.file, `${text}\n`);
    const index = this.lines.length - 1;
    for (const waiter of [...this.waiters]) {
      if (index >= waiter.from && waiter.pattern.test(text)) {
        this.waiters.delete(waiter);
        waiter.done(line);
      }
    }
  }
}
