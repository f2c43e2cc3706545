// "Did you mean": the closest known key, only when close enough to be a typo (a third of its letters).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closest } from '../../../src/policy/suggest.js';

const TOP = ['version', 'device', 'signature', 'artifacts', 'versioning', 'selection', 'search', 'media'];
const SIGNATURE = ['required', 'keys', 'allow_augmented'];

describe('closest', () => {
  const rows: [word: string, known: string[], suggestion: string | null][] = [
    ['requird', SIGNATURE, 'required'],
    ['Required', SIGNATURE, 'required'],
    ['kes', SIGNATURE, 'keys'],
    ['allow_augmentd', SIGNATURE, 'allow_augmented'],
    ['serach', TOP, 'search'],
    ['signatur', TOP, 'signature'],
    ['versoin', TOP, 'version'],
    ['versionning', TOP, 'versioning'],
    // Two letters may not differ in a two-letter word.
    ['ky', SIGNATURE, null],
    ['colour', TOP, null],
    ['trust', SIGNATURE, null],
    ['anything', [], null],
    // Equally close: the first known one.
    ['ab', ['ac', 'ad'], 'ac'],
  ];
  for (const [word, known, suggestion] of rows) {
    it(`${word} → ${String(suggestion)}`, () => assert.equal(closest(word, known), suggestion));
  }
});
