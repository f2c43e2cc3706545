// Issue 15, class 6: numbers a person reads about. NaN, infinities, negatives, fractions and values
// beyond what a size or a timer can hold each get a message that names them ("got number null"
// before), for every size and duration key, at the key's position.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProblem, loadConfig } from '../../../src/policy/index.js';

const load = async (yaml: string): Promise<string[]> => {
  const result = await loadConfig(yaml, '/etc/usb-updater/config.yaml', { readKeyFile: () => Promise.reject(new Error('no keys')) });
  return result.ok ? [] : result.problems.map(formatProblem);
};

const SIZE_KEYS: [section: string, key: string][] = [['artifacts', 'max_size']];
const DURATION_KEYS: [section: string, key: string][] = [['search', 'timeout'], ['client', 'timeout'], ['client', 'stall_timeout'], ['health', 'deadline'], ['reboot', 'timeout']];

/** One test per key and value: the value is the one problem, with the precise message, never "null". */
function itRefusesEach(keys: readonly [section: string, key: string][], rows: readonly [value: string, message: RegExp][]): void {
  for (const [section, key] of keys) {
    for (const [value, message] of rows) {
      it(`${section}.${key}: ${value}`, async () => {
        const problems = await load(`signature:\n  required: false\n${section}:\n  ${key}: ${value}\n`);
        assert.equal(problems.length, 1, problems.join('\n'));
        assert.match(problems[0] ?? '', message);
        assert.doesNotMatch(problems[0] ?? '', /null/);
      });
    }
  }
}

describe('issue 15: sizes', () => {
  const rows: [value: string, message: RegExp][] = [
    ['.nan', /not a number \(\.nan\)/],
    ['.inf', /infinity \(\.inf\)/],
    ['-.inf', /minus infinity/],
    ['-5', /-5 is negative/],
    ['1.5', /1\.5 is not a whole number of bytes/],
    ['1e30', /is too large: at most 9007199254740991 bytes/],
    ['"99999999999TiB"', /is too large: at most 9007199254740991 bytes/],
  ];
  itRefusesEach(SIZE_KEYS, rows);
});

describe('issue 15: durations', () => {
  const rows: [value: string, message: RegExp][] = [
    ['.nan', /not a number \(\.nan\)/],
    ['.inf', /infinity \(\.inf\)/],
    ['"600h"', /too long: at most 596h/],
    ['"99999999999999999999h"', /too long/],
    ['"1e400s"', /is not a duration/],
  ];
  itRefusesEach(DURATION_KEYS, rows);

  it('596h is the longest duration taken', async () => {
    assert.deepEqual(await load('signature:\n  required: false\nhealth:\n  deadline: 596h\n'), []);
  });
});
