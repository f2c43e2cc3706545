// Issue 15, class 6: what a person reads. printable() escapes every character that could change
// what a terminal shows (controls, bidi overrides and isolates, every format character, line and
// paragraph separators) and nothing else; shorten() keeps long names to one readable line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { printable, shorten } from '../../../src/log/index.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

describe('issue 15: printable', () => {
  it('escapes a right-to-left override, so the name reads as its bytes say', () => {
    assert.equal(printable('release-\u202e0.2'), 'release-\\u202e0.2');
  });

  const rows: [code: number, what: string][] = [
    [0x202a, 'LRE'],
    [0x202b, 'RLE'],
    [0x202c, 'PDF'],
    [0x202d, 'LRO'],
    [0x202e, 'RLO'],
    [0x2066, 'LRI'],
    [0x2067, 'RLI'],
    [0x2068, 'FSI'],
    [0x2069, 'PDI'],
    [0x200b, 'zero width space'],
    [0x200d, 'zero width joiner'],
    [0xfeff, 'byte order mark'],
    [0x00ad, 'soft hyphen'],
    [0x2028, 'line separator'],
    [0x2029, 'paragraph separator'],
    [0x0a, 'newline'],
    [0x1b, 'escape'],
    [0x9b, 'C1 CSI'],
    [0xe0001, 'language tag (astral)'],
  ];
  for (const [code, what] of rows) {
    it(`escapes U+${code.toString(16).toUpperCase().padStart(4, '0')} (${what})`, () => {
      const out = printable(`a${String.fromCodePoint(code)}b`);
      assert.ok(!INVISIBLE.test(out), out);
      assert.match(out, new RegExp(`^a\\\\u\\{?0*${code.toString(16)}\\}?b$`));
    });
  }

  it('leaves nothing invisible and changes nothing visible, on generated text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const out = printable(text);
        assert.ok(!INVISIBLE.test(out));
        // Visible text passes unchanged.
        if (!INVISIBLE.test(text)) assert.equal(out, text);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('issue 15: shorten', () => {
  it('leaves short text alone', () => assert.equal(shorten('release-1.0'), 'release-1.0'));

  it('keeps the start and end of a long name and says how much was left out', () => {
    const out = shorten(`start-${'x'.repeat(10_000)}-end`, 100);
    assert.ok(out.length <= 100, out);
    assert.ok(out.startsWith('start-') && out.endsWith('-end'));
    assert.match(out, /…\(\d+ characters left out\)…/);
  });

  it('never splits a surrogate pair, on generated text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 300 }), fc.integer({ min: 42, max: 120 }), (text, max) => {
        const out = shorten(text, max);
        assert.ok(!LONE_SURROGATE.test(out), JSON.stringify(out));
      }),
      { numRuns: 2000 },
    );
  });

  it('costs no walk of a 3 MB name', () => {
    const start = Date.now();
    shorten('n'.repeat(3_000_000));
    assert.ok(Date.now() - start < 100);
  });
});
