// Issue 15, class 6: a numeric option that is not a whole number in range is a usage error (exit 2,
// with what was wrong), never NaN handed to the command: `status --limit abc` exited 0.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main.js';
import { wholeNumber } from '../../../src/cli/numeric-option.js';

function capture(): { io: Parameters<typeof main>[1]; err: () => string } {
  let err = '';
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => ((err += s), true) } } as unknown as Parameters<typeof main>[1];
  return { io, err: () => err };
}

describe('issue 15: numeric options', () => {
  for (const bad of ['abc', '', '1.5', '1e3', 'NaN', 'Infinity', '-1', '99999999999999999999', '0x10']) {
    it(`status --limit ${JSON.stringify(bad)} exits 2 and says why`, async () => {
      const { io, err } = capture();
      assert.equal(await main(['status', '--limit', bad], io), 2);
      assert.match(err(), /--limit <count>' argument .* is invalid\. .*(whole number|out of range)/);
    });
  }

  it('takes whole numbers in range, with spaces around', () => {
    assert.equal(wholeNumber(0, 10)(' 7 '), 7);
    assert.equal(wholeNumber(0, 10)('0'), 0);
    assert.throws(() => wholeNumber(0, 10)('11'), /out of range/);
  });
});
