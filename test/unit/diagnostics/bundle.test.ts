// The diagnostics bundle's bound (issue 17): whatever the parts weigh, the files together stay
// within diagnostics.max_size; the first parts are whole, the log is cut first and keeps its newest
// lines; the raw machine id is removed from everything; the folder name is safe on any stick.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUMMARY_RESERVE, bundleFolderName, fitBundle, redact, type BundlePart } from '../../../src/diagnostics/index.js';

const bytes = (text: string): number => Buffer.byteLength(text);
const lines = (n: number, prefix: string): string => Array.from({ length: n }, (_, i) => `${prefix} line ${i + 1}\n`).join('');

describe('fitBundle', () => {
  it('everything fits: every part whole, nothing cut', () => {
    const parts: BundlePart[] = [{ name: 'status.json', text: '{}\n', keep: 'head' }, { name: 'service.log', text: lines(10, 'log'), keep: 'tail' }];
    const fitted = fitBundle(parts, 64 * 1024);
    assert.deepEqual(fitted.files, parts.map((p) => ({ name: p.name, data: p.text })));
    assert.deepEqual(fitted.cut, []);
    assert.equal(fitted.bytes, bytes('{}\n') + bytes(lines(10, 'log')));
  });

  it('a log larger than the bound is cut to its newest whole lines, and says so; the parts before it are whole', () => {
    const status = lines(100, 'status');
    const log = lines(100_000, 'log');
    const max = 64 * 1024;
    const fitted = fitBundle([{ name: 'status.json', text: status, keep: 'head' }, { name: 'service.log', text: log, keep: 'tail' }], max);
    assert.ok(fitted.bytes <= max - SUMMARY_RESERVE, `${fitted.bytes} bytes`);
    assert.equal(fitted.files[0]?.data, status);
    const kept = fitted.files[1]?.data ?? '';
    assert.match(kept, /^\[cut: \d+ bytes, the last \d+ kept; diagnostics.max_size\]\nlog line \d+\n/);
    assert.ok(kept.endsWith('log line 100000\n'), 'the newest line is kept');
    assert.deepEqual(fitted.cut.map((c) => c.name), ['service.log']);
  });

  it('a head part cut keeps its first whole lines; a part with no room left is left out, and listed', () => {
    const fitted = fitBundle([{ name: 'journal.json', text: lines(100_000, 'j'), keep: 'head' }, { name: 'service.log', text: 'late\n', keep: 'tail' }], SUMMARY_RESERVE + 4096);
    const journal = fitted.files[0]?.data ?? '';
    assert.ok(journal.startsWith('j line 1\n'));
    assert.match(journal, /\n\[cut: \d+ bytes, the first 4096 kept; diagnostics.max_size\]\n$/);
    assert.ok(fitted.bytes <= 4096);
    assert.deepEqual(fitted.files.map((f) => f.name), ['journal.json']);
    assert.deepEqual(fitted.cut.map((c) => [c.name, c.keptBytes]), [['journal.json', bytes(journal)], ['service.log', 0]]);
  });

  it('multi-byte text is cut on a character, never in the middle of one', () => {
    const text = 'é'.repeat(100_000);
    const fitted = fitBundle([{ name: 'service.log', text, keep: 'tail' }], SUMMARY_RESERVE + 1001);
    const data = fitted.files[0]?.data ?? '';
    assert.ok(!data.includes('\uFFFD'));
    assert.ok(bytes(data) <= 1001);
  });
});

describe('redact and bundleFolderName', () => {
  it('every occurrence of the raw machine id is replaced; short strings are never taken for secrets', () => {
    const id = '0123456789abcdef0123456789abcdef';
    assert.equal(redact(`a ${id} b ${id}`, [id]), 'a [redacted] b [redacted]');
    assert.equal(redact('abc', ['b']), 'abc');
  });

  it('the folder is named by the device id and the UTC time, safe on FAT (no : and no path)', () => {
    const at = new Date('2026-12-06T10:11:12.345Z');
    assert.equal(bundleFolderName('0123456789abcdef0123456789abcdef', at), 'diagnostics-0123456789abcdef0123456789abcdef-20261206T101112Z');
    assert.equal(bundleFolderName('../../etc', at), 'diagnostics-_.._etc-20261206T101112Z');
    assert.equal(bundleFolderName('', at), 'diagnostics-device-20261206T101112Z');
  });
});
