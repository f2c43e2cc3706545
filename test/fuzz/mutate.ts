// Byte-level mutations for the fuzzer, driven by a seeded generator so that a run with the same seed
// and the same number of executions makes the same inputs. Each step applies one to four of the
// classic mutations (bit flips, interesting values, arithmetic, inserts, deletes, copies, splices with
// another corpus entry, dictionary tokens), bounded so an input never grows past `maxLength`.

/** xorshift32: small, fast and reproducible; quality is ample for choosing mutations. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = (seed >>> 0) || 0x9e3779b9;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return n <= 0 ? 0 : this.#state % n;
  }

  chance(oneIn: number): boolean {
    return this.below(oneIn) === 0;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

// Values at the edges of signed and unsigned integers, and the ASCII digits tar headers use.
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x30, 0x37, 0x38, 0x39, 0x0a, 0x2f, 0x2e];

export interface MutationContext {
  random: Random;
  /** Other corpus entries, for splicing. */
  corpus: readonly Buffer[];
  /** Tokens of the input format (member names, JSON keys, YAML keys…). */
  dictionary: readonly Buffer[];
  maxLength: number;
}

type Mutator = (input: Buffer, ctx: MutationContext) => Buffer;

const position = (input: Buffer, ctx: MutationContext): number => ctx.random.below(input.length);

const MUTATORS: readonly Mutator[] = [
  function flipBit(input, ctx) {
    if (input.length === 0) return input;
    const at = position(input, ctx);
    input[at] = (input[at] as number) ^ (1 << ctx.random.below(8));
    return input;
  },
  function setInteresting(input, ctx) {
    if (input.length === 0) return input;
    input[position(input, ctx)] = ctx.random.pick(INTERESTING);
    return input;
  },
  function setRandomByte(input, ctx) {
    if (input.length === 0) return input;
    input[position(input, ctx)] = ctx.random.below(256);
    return input;
  },
  function addSmall(input, ctx) {
    if (input.length === 0) return input;
    const at = position(input, ctx);
    input[at] = ((input[at] as number) + ctx.random.below(71) - 35) & 0xff;
    return input;
  },
  function deleteRange(input, ctx) {
    if (input.length < 2) return input;
    const at = position(input, ctx);
    const length = 1 + ctx.random.below(Math.min(input.length - at, ctx.random.chance(4) ? 1024 : 16));
    return Buffer.concat([input.subarray(0, at), input.subarray(at + length)]);
  },
  function insertBytes(input, ctx) {
    const at = ctx.random.below(input.length + 1);
    const bytes = Buffer.alloc(1 + ctx.random.below(ctx.random.chance(4) ? 512 : 8));
    const fill = ctx.random.chance(2) ? ctx.random.below(256) : -1;
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = fill >= 0 ? fill : ctx.random.below(256);
    return Buffer.concat([input.subarray(0, at), bytes, input.subarray(at)]);
  },
  function copyWithin(input, ctx) {
    if (input.length < 2) return input;
    const from = position(input, ctx);
    const to = position(input, ctx);
    const length = 1 + ctx.random.below(Math.min(input.length - from, 512));
    const piece = Buffer.from(input.subarray(from, from + length));
    return ctx.random.chance(2)
      ? Buffer.concat([input.subarray(0, to), piece, input.subarray(to)])
      : (piece.copy(input, to), input);
  },
  function splice(input, ctx) {
    const other = ctx.random.pick(ctx.corpus);
    if (other === undefined || other.length === 0) return input;
    const cut = ctx.random.below(input.length + 1);
    const from = ctx.random.below(other.length);
    return Buffer.concat([input.subarray(0, cut), other.subarray(from)]);
  },
  function insertToken(input, ctx) {
    const token = ctx.random.pick(ctx.dictionary);
    if (token === undefined) return input;
    const at = ctx.random.below(input.length + 1);
    return ctx.random.chance(2)
      ? Buffer.concat([input.subarray(0, at), token, input.subarray(at)])
      : Buffer.concat([input.subarray(0, at), token, input.subarray(Math.min(input.length, at + token.length))]);
  },
  function truncate(input, ctx) {
    return input.subarray(0, ctx.random.below(input.length + 1));
  },
];

/** A new input made from `parent` (which is not changed). */
export function mutate(parent: Buffer, ctx: MutationContext): Buffer {
  let input: Buffer = Buffer.from(parent);
  const steps = 1 + ctx.random.below(4);
  for (let i = 0; i < steps; i += 1) {
    // Truncation is strong: keep it rare so most children stay close to their parent.
    const mutator = ctx.random.chance(20) ? (MUTATORS.at(-1) as Mutator) : ctx.random.pick(MUTATORS.slice(0, -1));
    input = mutator(input, ctx);
  }
  return input.length > ctx.maxLength ? input.subarray(0, ctx.maxLength) : input;
}
