// A QMP client (QEMU's JSON machine protocol) on QEMU's unix socket: one command at a time, each
// answered by `return` or `error`; events (DEVICE_DELETED…) are kept so a caller can wait for one.

import { createInterface } from 'node:readline';
import { createConnection, type Socket } from 'node:net';

type Json = Record<string, unknown>;

export class Qmp {
  private readonly events: Json[] = [];
  private pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  private eventWaiters: (() => void)[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly socket: Socket) {
    // readline keeps a line cut across two reads whole.
    createInterface({ input: socket, crlfDelay: Infinity }).on('line', (line: string) => this.take(line.trim()));
    socket.on('error', (err) => this.pending?.reject(err));
    socket.on('close', () => this.pending?.reject(new Error('vm: QMP connection closed')));
  }

  /** Connects (QEMU made the socket before starting the guest) and enters command mode. */
  static async connect(path: string): Promise<Qmp> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(path, () => resolve(s));
      s.once('error', reject);
    });
    const qmp = new Qmp(socket);
    await qmp.command('qmp_capabilities');
    return qmp;
  }

  /** Runs `execute` with `args`; rejects with QEMU's error description. */
  command(execute: string, args?: Json): Promise<unknown> {
    const run = (): Promise<unknown> => new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(`${JSON.stringify(args === undefined ? { execute } : { execute, arguments: args })}\n`);
    });
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Waits for an event named `name` whose data matches `data`'s fields (seen before or after now). */
  async event(name: string, data: Json, timeoutMs: number): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.event === name && Object.entries(data).every(([k, v]) => (e.data as Json | undefined)?.[k] === v));
      if (found !== undefined) {
        this.events.splice(this.events.indexOf(found), 1);
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`vm: no QMP event ${name} ${JSON.stringify(data)} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.eventWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private take(line: string): void {
    if (line === '') return;
    const message = JSON.parse(line) as Json;
    if ('event' in message) {
      this.events.push(message);
      for (const wake of this.eventWaiters.splice(0)) wake();
    } else if ('return' in message || 'error' in message) {
      const pending = this.pending;
      this.pending = null;
      if ('error' in message) pending?.reject(new Error(`vm: QMP error: ${JSON.stringify(message.error)}`));
      else pending?.resolve(message.return);
    }
  }
}
