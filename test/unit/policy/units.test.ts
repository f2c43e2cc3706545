// Units in the config file: durations to milliseconds, sizes to bytes, and sizes back to text.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSize, parseDuration, parseSize } from '../../../src/policy/index.js';

describe('parseDuration', () => {
  const rows: [text: string, ms: number | null][] = [
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2h', 7_200_000],
    ['250ms', 250],
    ['1m30s250ms', 90_250],
    ['1.5s', 1500],
    [' 5m ', 300_000],
    ['0s', 0],
    ['30 sec', null],
    ['30', null],
    ['', null],
    ['1d', null],
    ['s', null],
    ['-5s', null],
    ['1h 30m', null],
    ['5M', null],
    // Largest unit first, each once.
    ['30s1h', null],
    ['1s1s', null],
    ['1m1ms', 60_001],
  ];
  for (const [text, ms] of rows) it(`${JSON.stringify(text)} is ${String(ms)}`, () => assert.equal(parseDuration(text), ms));
});

describe('parseSize', () => {
  const rows: [text: string, bytes: number | null][] = [
    ['8GiB', 8_589_934_592],
    ['8 GiB', 8_589_934_592],
    ['1.5 MB', 1_500_000],
    ['1.5KiB', 1536],
    ['512MB', 512_000_000],
    ['1kB', 1000],
    ['1KB', 1000],
    ['2MiB', 2_097_152],
    ['1TiB', 1_099_511_627_776],
    ['1GB', 1_000_000_000],
    ['4096', 4096],
    ['4096B', 4096],
    ['8 gigs', null],
    ['8gib', null],
    ['-1', null],
    ['', null],
    ['GiB', null],
    ['.5MB', null],
    ['1,5MB', null],
    ['1e3', null],
    // Beyond Number.MAX_SAFE_INTEGER.
    ['1000000TiB', null],
  ];
  for (const [text, bytes] of rows) it(`${JSON.stringify(text)} is ${String(bytes)}`, () => assert.equal(parseSize(text), bytes));

  it('decimal fractions give the exact byte count', () => {
    assert.deepEqual(['4.1 MB', '0.3 kB', '2.3 GB'].map(parseSize), [4_100_000, 300, 2_300_000_000]);
  });
});

describe('formatSize', () => {
  const rows: [bytes: number, text: string][] = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [3 * 2 ** 20, '3 MiB'],
    [8_589_934_592, '8 GiB'],
    [2 ** 40 * 1.25, '1.25 TiB'],
    // Two decimals: one byte over a limit of 1 MiB still prints as 1 MiB.
    [2 ** 20 + 1, '1 MiB'],
  ];
  for (const [bytes, text] of rows) it(`${bytes} is ${text}`, () => assert.equal(formatSize(bytes), text));

  it('reads back as the size it came from, for whole units', () => {
    for (const bytes of [1024, 3 * 2 ** 20, 8_589_934_592]) assert.equal(parseSize(formatSize(bytes)), bytes);
  });
});
