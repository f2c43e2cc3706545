// The harness's side of the command agent in the guest (guest-files.ts): a script goes in as one
// base64 line on the virtio port's socket, its exit code and output come back the same way. One
// request at a time; the agent itself bounds each script to 5 minutes.

import { createInterface } from 'node:readline';
import { createConnection, type Socket } from 'node:net';

export interface GuestResult {
  code: number;
  output: string;
}

export class GuestAgent {
  private next = 1;
  private readonly answers = new Map<number, (r: GuestResult) => void>();
  private readyWaiter: (() => void) | null = null;
  private isReady = false;
  private chain: Promise<unknown> = Promise.resolve();
  private closed: Error | null = null;

  private constructor(private readonly socket: Socket) {
    // readline keeps a line cut across two reads whole.
    createInterface({ input: socket, crlfDelay: Infinity }).on('line', (line: string) => this.take(line.trim()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = new Error('vm: the guest agent\'s socket closed (QEMU exited)');
    });
  }

  static async connect(path: string): Promise<GuestAgent> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(path, () => resolve(s));
      s.once('error', reject);
    });
    return new GuestAgent(socket);
  }

  /** Resolves when the agent in the guest said it is ready (it starts early in the boot). */
  async ready(timeoutMs: number): Promise<void> {
    if (this.isReady) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.readyWaiter = resolve;
        timer = setTimeout(() => reject(new Error(`vm: the guest agent was not ready within ${timeoutMs} ms`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs `script` with sh in the guest, as root. */
  run(script: string, timeoutMs = 120_000): Promise<GuestResult> {
    const call = (): Promise<GuestResult> => {
      if (this.closed !== null) return Promise.reject(this.closed);
      const id = this.next++;
      return new Promise<GuestResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.answers.delete(id);
          reject(new Error(`vm: no answer from the guest within ${timeoutMs} ms to: ${script}`));
        }, timeoutMs);
        this.answers.set(id, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        this.socket.write(`${id} ${Buffer.from(script).toString('base64')}\n`);
      });
    };
    const result = this.chain.then(call, call);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Like run(), and fails unless the script exits 0; resolves with its output. */
  async check(script: string, timeoutMs?: number): Promise<string> {
    const result = await this.run(script, timeoutMs);
    if (result.code !== 0) throw new Error(`vm: in the guest, \`${script}\` exited ${result.code}:\n${result.output}`);
    return result.output;
  }

  close(): void {
    this.socket.destroy();
  }

  private take(line: string): void {
    if (line === 'vm-agent ready') {
      this.isReady = true;
      this.readyWaiter?.();
      return;
    }
    const [id, code, output] = line.split(' ');
    this.answers.get(Number(id))?.({ code: Number(code), output: Buffer.from(output ?? '', 'base64').toString('utf8') });
    this.answers.delete(Number(id));
  }
}
