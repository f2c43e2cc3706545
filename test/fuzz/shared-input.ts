// The input a worker is running, in memory the runner's thread can read while the worker is stuck:
// a sequence number, the input's length and bytes, and whether it is running. A worker in an
// endless loop cannot send a message, but the runner can still read this and save the input.

const META_BYTES = 16;

export class SharedInput {
  readonly buffer: SharedArrayBuffer;
  readonly #meta: Int32Array;
  readonly #bytes: Uint8Array;

  constructor(bufferOrMaxLength: SharedArrayBuffer | number) {
    this.buffer = typeof bufferOrMaxLength === 'number' ? new SharedArrayBuffer(META_BYTES + bufferOrMaxLength) : bufferOrMaxLength;
    this.#meta = new Int32Array(this.buffer, 0, 4);
    this.#bytes = new Uint8Array(this.buffer, META_BYTES);
  }

  begin(exec: number, input: Buffer): void {
    this.#bytes.set(input);
    Atomics.store(this.#meta, 1, input.length);
    Atomics.store(this.#meta, 0, exec);
    Atomics.store(this.#meta, 2, 1);
  }

  end(): void {
    Atomics.store(this.#meta, 2, 0);
  }

  /** Index of the input running or last run. */
  get exec(): number {
    return Atomics.load(this.#meta, 0);
  }

  get running(): boolean {
    return Atomics.load(this.#meta, 2) === 1;
  }

  /** A copy of the input running or last run. */
  input(): Buffer {
    return Buffer.from(this.#bytes.subarray(0, Atomics.load(this.#meta, 1)));
  }
}
