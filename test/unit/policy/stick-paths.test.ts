// Which files on a stick are candidates (pathRule: the configured globs, with hidden and AppleDouble
// files reported rather than silently dropped), and the artifact-name globs of artifacts.allow/deny.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathRule, type PathRule } from '../../../src/policy/index.js';
import { namePatternMatcher } from '../../../src/policy/stick-paths.js';
import { policy } from '../../support/artifacts/policy-inputs.js';

const APPLEDOUBLE = { candidate: false, skip: { code: 'APPLEDOUBLE_FILE', message: 'macOS AppleDouble metadata file, not an artifact' } } as const;
const HIDDEN = { candidate: false, skip: { code: 'HIDDEN_FILE', message: 'hidden file' } } as const;
const CANDIDATE = { candidate: true } as const;
const IGNORED = { candidate: false, skip: null } as const;

const ruleFor = (paths?: string[]): PathRule => pathRule(policy(paths ? { search: { paths } } : {}).search);

describe('pathRule', () => {
  const rows: [paths: string[] | undefined, path: string, expected: ReturnType<PathRule>][] = [
    [undefined, 'a.mender', CANDIDATE],
    [undefined, 'updates/a.mender', CANDIDATE],
    [undefined, 'updates/sub/a.mender', IGNORED],
    [undefined, 'other/a.mender', IGNORED],
    [undefined, 'a.mender.txt', IGNORED],
    [undefined, 'a.MENDER', IGNORED],
    [undefined, 'readme.txt', IGNORED],
    [undefined, '._a.mender', APPLEDOUBLE],
    [undefined, 'updates/._a.mender', APPLEDOUBLE],
    [undefined, '.a.mender', HIDDEN],
    [undefined, 'updates/.a.mender', HIDDEN],
    [undefined, '._readme.txt', IGNORED],
    [undefined, '.updates/a.mender', IGNORED],
    [['**/*.mender'], 'a/b/c.mender', CANDIDATE],
    [['**/*.mender'], 'a/b/._c.mender', APPLEDOUBLE],
    [['updates/*/*.mender'], 'updates/dev-a/a.mender', CANDIDATE],
    [['updates/*/*.mender'], 'updates/a.mender', IGNORED],
    [['release-?.mender'], 'release-2.mender', CANDIDATE],
    [['release-?.mender'], 'release-10.mender', IGNORED],
    [['*.mender', 'extra/*.bin'], 'extra/x.bin', CANDIDATE],
  ];
  for (const [paths, path, expected] of rows) {
    it(`${path} with ${JSON.stringify(paths ?? 'the default globs')}: ${expected.candidate ? 'a candidate' : (expected.skip?.code ?? 'not a candidate, no reason')}`, () => {
      assert.deepEqual(ruleFor(paths)(path), expected);
    });
  }

  it('a file inside a hidden folder is no candidate, even when a glob reaches it', () => {
    assert.notDeepEqual(ruleFor(['**/*.mender'])('.Trash-1000/files/old.mender'), CANDIDATE);
  });
});

describe('namePatternMatcher', () => {
  const rows: [patterns: string[], name: string, matches: boolean][] = [
    [['*'], 'anything at all', true],
    [['*'], '', true],
    [['release-*'], 'release-2.0', true],
    [['release-*'], 'old-release-2.0', false],
    [['release-?.0'], 'release-2.0', true],
    [['release-?.0'], 'release-10.0', false],
    [['release-?.0'], 'release-.0', false],
    [['release-2.0'], 'release-2x0', false],
    [['app+[x](1)^$|{2}\\'], 'app+[x](1)^$|{2}\\', true],
    [['app+'], 'appp', false],
    [['beta-*', 'release-*'], 'release-2.0', true],
    [[], 'release-2.0', false],
    [['Release-*'], 'release-2.0', false],
  ];
  for (const [patterns, name, matches] of rows) {
    it(`${JSON.stringify(patterns)} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => assert.equal(namePatternMatcher(patterns)(name), matches));
  }
});
