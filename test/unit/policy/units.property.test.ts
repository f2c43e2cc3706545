// Properties of the config units on numbers fast-check draws: sizes and durations written with any
// unit parse to the exact integer, and formatSize's text parses back to within its rounding.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatSize, parseDuration, parseSize } from '../../../src/policy/index.js';

const UNITS: Record<string, number> = { '': 1, B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };
const RUNS = { numRuns: 300 };

describe('size properties', () => {
  it('a whole number with any unit, with or without a space, parses to number × unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8191 }), fc.constantFrom(...Object.keys(UNITS)), fc.constantFrom('', ' '), (n, unit, space) => {
        assert.equal(parseSize(`${n}${unit === '' ? '' : space}${unit}`), n * (UNITS[unit] as number));
      }),
      RUNS,
    );
  });

  it('formatSize gives text that parses back to within the rounding of its two decimals', () => {
    fc.assert(
      // Up to 1 PiB: within 0.005 TiB of 2^53 the rounded text names a number past
      // Number.MAX_SAFE_INTEGER, which parseSize refuses (found by this property; no stick is that big).
      fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (bytes) => {
        const text = formatSize(bytes);
        const back = parseSize(text);
        assert.notEqual(back, null, `${text} does not parse`);
        const unit = UNITS[text.split(' ')[1] ?? ''] ?? 1;
        assert.ok(Math.abs((back as number) - bytes) <= unit * 0.005 + 0.5, `${bytes} → ${text} → ${back}`);
        if (bytes < 1024) assert.equal(back, bytes);
      }),
      RUNS,
    );
  });
});

describe('duration properties', () => {
  it('hours, minutes, seconds and milliseconds, each optional and in that order, sum exactly', () => {
    const part = fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined });
    fc.assert(
      fc.property(part, part, part, part, fc.constantFrom('', ' ', '\t'), (h, m, s, ms, pad) => {
        const parts = [[h, 'h', 3_600_000], [m, 'm', 60_000], [s, 's', 1000], [ms, 'ms', 1]] as const;
        const text = parts.map(([n, unit]) => (n === undefined ? '' : `${n}${unit}`)).join('');
        const expected = text === '' ? null : parts.reduce((sum, [n, , factor]) => sum + (n ?? 0) * factor, 0);
        assert.equal(parseDuration(`${pad}${text}${pad}`), expected);
      }),
      RUNS,
    );
  });

  it('a unit out of order or repeated is not a duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), fc.constantFrom('h', 'm', 's', 'ms'), fc.constantFrom('h', 'm', 's', 'ms'), (a, b, first, second) => {
        const order = ['h', 'm', 's', 'ms'];
        fc.pre(order.indexOf(first) >= order.indexOf(second));
        assert.equal(parseDuration(`${a}${first}${b}${second}`), null);
      }),
      RUNS,
    );
  });
});
