// The fuzzing oracle: every input must end in a result or an UpdaterError whose code is one of the
// documented ones (src/errors). Anything else (another exception, an unknown code, two ways of
// reading the same bytes that disagree) is a finding. Hangs and memory are the runner's to catch,
// slow inputs the time oracle's.

import { ERROR_CODES, isUpdaterError } from '../../src/errors/index.js';

/** `slow`: the time oracle's (time-oracle.ts): a cost per KB far above the run's median. */
export type FindingKind = 'crash' | 'inconsistent' | 'hang' | 'memory' | 'slow';

export class Finding extends Error {
  override readonly name = 'Finding';
  readonly kind: FindingKind;

  constructor(kind: FindingKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

/** Settles `work`, turning a known-code UpdaterError into an outcome and anything else into a finding. */
export async function outcomeOf<T>(work: () => Promise<T>, what: string): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    if (isUpdaterError(err) && Object.hasOwn(ERROR_CODES, err.code)) return { ok: false, code: err.code, message: err.message };
    const description = err instanceof Error ? `${err.name}: ${err.message}` : `non-Error thrown: ${String(err)}`;
    throw new Finding('crash', `${what}: ${description}`, { cause: err });
  }
}

/**
 * Deep equality of JSON-like values (what the reader returns), with an explicit stack: a header nested
 * thousands deep must not overflow the oracle's own comparison (node:util's isDeepStrictEqual recurses).
 */
export function sameJsonValue(a: unknown, b: unknown): boolean {
  const pending: Array<[unknown, unknown]> = [[a, b]];
  for (let pair = pending.pop(); pair !== undefined; pair = pending.pop()) {
    const [x, y] = pair;
    if (Object.is(x, y)) continue;
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object' || Array.isArray(x) !== Array.isArray(y)) return false;
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(y, key)) return false;
      pending.push([(x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]]);
    }
  }
  return true;
}

/**
 * Two reads of the same bytes must agree: both give the same value, or both fail. With `sameCode`,
 * both must also fail with the same code. Without it a differing code is allowed and reported back:
 * for a corrupt compressed payload, which check fails first (the decompressor's own check or the
 * manifest checksum of what it produced) can depend on how the bytes were chunked.
 */
export function requireSameOutcome<T>(a: Outcome<T>, b: Outcome<T>, what: string, sameCode = true): 'same' | 'codes differ' {
  if (a.ok && b.ok) {
    if (!sameJsonValue(a.value, b.value)) throw new Finding('inconsistent', `${what}: the results differ`);
    return 'same';
  }
  if (!a.ok && !b.ok) {
    if (a.code === b.code) return 'same';
    if (sameCode) throw new Finding('inconsistent', `${what}: ${a.code} (${a.message}) vs ${b.code} (${b.message})`);
    return 'codes differ';
  }
  throw new Finding('inconsistent', `${what}: ${a.ok ? 'a result' : `${a.code} (${a.message})`} vs ${b.ok ? 'a result' : `${b.code} (${b.message})`}`);
}

/** A short label for an outcome, for statistics. */
export function label(outcome: Outcome<unknown>): string {
  return outcome.ok ? 'ok' : outcome.code;
}
