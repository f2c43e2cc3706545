// Issue 15, class 2: matching in time linear in the name. Globs (artifacts.allow/deny and
// search.paths) against a reference matcher on generated names and patterns, the default version
// patterns against their regex meaning, user patterns in the linear engine or refused by the schema,
// and decide() on names from 100 KB to 3 MB within a fixed time.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decide, configSchema } from '../../../src/policy/index.js';
import { MAX_NAME_LENGTH } from '../../../src/policy/decide.js';
import { expandBraces, MAX_BRACE_EXPANSIONS, namePatternMatcher, pathGlobMatcher } from '../../../src/policy/glob.js';
import { linearRegExpProblem } from '../../../src/policy/linear-regexp.js';
import { DEFAULT_PATTERNS, extractVersion } from '../../../src/policy/version.js';
import { artifactInfo, device, policy, read } from '../../support/artifacts/policy-inputs.js';

/** Milliseconds `run` takes. */
function timed(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}


// Patterns and names over a small alphabet, so that matches are common.
const patternArb = fc.stringMatching(/^[ab*?-]{0,12}$/);
const nameArb = fc.stringMatching(/^[ab-]{0,16}$/);

describe('issue 15: artifact-name globs', () => {
  it('agree with the reference matcher on generated patterns and names', () => {
    fc.assert(
      fc.property(patternArb, nameArb, (pattern, name) => {
        // A pattern starting with a star is checked against the whole-name reference too.
        const expected = pattern === '' ? name === '' : referenceMatchFull(pattern, name);
        assert.equal(namePatternMatcher([pattern])(name), expected, `${pattern} on ${name}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('treat every other character literally, regex metacharacters included', () => {
    assert.equal(namePatternMatcher(['a.b(c)+[d]'])('a.b(c)+[d]'), true);
    assert.equal(namePatternMatcher(['a.b'])('axb'), false);
    assert.equal(namePatternMatcher(['*'])('line\nbreak'), true);
  });

  it('take time linear in the name for crafted patterns: *-*-*-rc on 1 MB of dashes', () => {
    const name = '-'.repeat(2 ** 20);
    const matcher = namePatternMatcher(['*-*-*-*-*-rc', '*a*a*a*a*a*b']);
    const ms = timed(() => assert.equal(matcher(name), false));
    assert.ok(ms < 3000, `took ${ms} ms`);
  });
});

/** The reference on whole names: `*` any run, `?` one character (a memoised recursion). */
function referenceMatchFull(pattern: string, name: string): boolean {
  const p = [...pattern];
  const s = [...name];
  const memo = new Map<number, boolean>();
  const at = (i: number, j: number): boolean => {
    const key = i * (s.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === p.length) result = j === s.length;
    else if (p[i] === '*') result = at(i + 1, j) || (j < s.length && at(i, j + 1));
    else result = j < s.length && (p[i] === '?' || p[i] === s[j]) && at(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return at(0, 0);
}

describe('issue 15: search.paths globs', () => {
  const rows: [glob: string, path: string, matches: boolean][] = [
    ['*.mender', 'a.mender', true],
    ['*.mender', 'dir/a.mender', false],
    ['*.mender', '.a.mender', true],
    ['**/*.mender', 'a.mender', true],
    ['**/*.mender', 'a/b/c/d.mender', true],
    ['**/*.mender', 'a/b/c/d.bin', false],
    ['updates/**', 'updates/a/b', true],
    ['updates/**/x.mender', 'updates/x.mender', true],
    ['updates/**/x.mender', 'other/x.mender', false],
    ['{updates,extra}/*.mender', 'extra/a.mender', true],
    ['{updates,extra}/*.mender', 'other/a.mender', false],
    ['release-[0-9].mender', 'release-7.mender', true],
    ['release-[0-9].mender', 'release-x.mender', false],
    ['release-[!0-9].mender', 'release-x.mender', true],
    ['a?c.mender', 'a/c.mender', false],
    ['a\\*.mender', 'a*.mender', true],
    ['a\\*.mender', 'ab.mender', false],
    ['[ab.mender', '[ab.mender', true],
  ];
  for (const [glob, path, matches] of rows) {
    it(`${glob} ${matches ? 'matches' : 'does not match'} ${path}`, () => assert.equal(pathGlobMatcher([glob])(path), matches));
  }

  it('agree with a regex made from the glob on generated paths (one level, no **)', () => {
    const toRegex = (glob: string): RegExp => new RegExp(`^${[...glob].map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.\\-]/g, '\\$&'))).join('')}$`, 's');
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*?/.]{0,10}$/), fc.stringMatching(/^[ab/.]{0,14}$/), (glob, path) => {
        if (glob.split('/').includes('**')) return;
        assert.equal(pathGlobMatcher([glob])(path), toRegex(glob).test(path), `${glob} on ${path}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('take time linear in a long path segment: *-*-*-*-rc.mender on 64 KB of dashes', () => {
    const ms = timed(() => assert.equal(pathGlobMatcher(['**/*-*-*-*-rc.mender'])(`a/${'-'.repeat(65536)}/b`), false));
    assert.ok(ms < 3000, `took ${ms} ms`);
  });

  it('refuse braces that expand past the bound, in the schema', () => {
    assert.equal(expandBraces('{a,b}{c,d}').length, 4);
    const glob = '{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}.mender';
    assert.ok(2 ** 7 > MAX_BRACE_EXPANSIONS);
    const parsed = configSchema.safeParse({ search: { paths: [glob] } });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues), /braces expand to more than 64 globs/);
  });
});

/** The default dotted pattern as a regex, the meaning the hand-written scan must keep. */
const DOTTED_REGEX = new RegExp(DEFAULT_PATTERNS.dotted, 'u');

describe('issue 15: built-in version patterns', () => {
  it('the dotted scan finds what the dotted regex finds, on generated names', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9.a-]{0,24}$/), (name) => {
        const match = DOTTED_REGEX.exec(name);
        const expected = match?.[1] === undefined || match[1] === '' ? null : match[1];
        assert.equal(extractVersion(name, DEFAULT_PATTERNS.dotted), expected, name);
      }),
      { numRuns: 5000 },
    );
  });

  for (const size of [100_000, 400_000, 3_000_000]) {
    it(`the dotted scan takes linear time on ${size / 1000} KB of digits and dots`, () => {
      const name = '1.'.repeat(size / 2);
      const ms = timed(() => assert.ok(extractVersion(name, DEFAULT_PATTERNS.dotted) !== null));
      assert.ok(ms < 1000, `took ${ms} ms`);
    });
  }

  it('the semver default runs in the linear engine: 100 KB of digits in well under a second', () => {
    const ms = timed(() => assert.equal(extractVersion('1'.repeat(100_000), DEFAULT_PATTERNS.semver), null));
    assert.ok(ms < 5000, `took ${ms} ms`);
  });
});

describe('issue 15: versioning.pattern', () => {
  const refused: [pattern: string, message: RegExp][] = [
    ['(a)\\1', /backreference at character 4/],
    ['(?<v>a)\\k<v>', /backreference at character 8/],
    ['v(?=\\d)', /lookahead or lookbehind at character 2/],
    ['(?<!x)\\d+', /lookahead or lookbehind at character 1/],
    ['(a', /not a valid regular expression for RE2: missing closing \)/],
    ['\\u00e9(\\d+)', /not a valid regular expression for RE2: invalid escape sequence/],
  ];
  for (const [pattern, message] of refused) {
    it(`${pattern} is refused by the schema (config check): ${String(message)}`, () => {
      assert.match(linearRegExpProblem(pattern) ?? '', message);
      const parsed = configSchema.safeParse({ versioning: { pattern } });
      assert.equal(parsed.success, false);
    });
  }

  it('RE2 syntax JavaScript lacks is taken: \\p{L} and (?P<version>...)', () => {
    assert.equal(linearRegExpProblem('\\p{L}+-(\\d+)'), null);
    assert.equal(extractVersion('release-2.5-rc', '(?P<version>\\d+\\.\\d+)'), '2.5');
    assert.equal(extractVersion('release-2.5-rc', '(?<version>\\d+)\\.'), '2');
  });

  it('an escaped backslash before a digit is no backreference', () => {
    assert.equal(linearRegExpProblem('\\\\1(\\d+)'), null);
  });

  it('^(a+)+$ is accepted and runs in linear time on a crafted name', () => {
    assert.equal(linearRegExpProblem('^(a+)+$'), null);
    const name = `${'a'.repeat(20_000)}!`;
    const ms = timed(() => assert.equal(extractVersion(name, '^(a+)+$'), null));
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});

describe('issue 15: decide() within a fixed time, whatever the name', () => {
  const hostile = policy({ artifacts: { allow: ['*-*-*-*-rc', '*'], deny: ['*a*a*a*a*b'] }, versioning: { pattern: '^(?<version>(\\d+)+)$' } });
  for (const size of [100_000, 400_000, 3_000_000]) {
    it(`a name of ${size / 1000} KB is refused as too long at once, default and hostile policy`, () => {
      const candidate = read('a.mender', artifactInfo(`release-${'1.'.repeat(size / 2)}`));
      for (const p of [policy(), hostile]) {
        const ms = timed(() => {
          const decision = decide([candidate], device(), p, null);
          assert.deepEqual(decision.candidates[0]?.reasons.map((r) => r.code), ['NAME_TOO_LONG']);
          assert.ok((decision.candidates[0]?.reasons[0]?.message.length ?? 0) < 400);
        });
        assert.ok(ms < 500, `took ${ms} ms`);
      }
    });
  }

  it('1,000 candidates with names at the bound, against a hostile policy, in well under search.timeout', () => {
    const name = `${'-'.repeat(MAX_NAME_LENGTH - 4)}1111`;
    const candidates = Array.from({ length: 1000 }, (_, i) => read(`c${String(i).padStart(4, '0')}.mender`, artifactInfo(`${name.slice(0, -4)}${String(i).padStart(4, '0')}`)));
    const ms = timed(() => decide(candidates, device(), hostile, null));
    assert.ok(ms < 10_000, `took ${ms} ms`);
  });
});
