// Versions: found in a name or provide by the configured pattern, then compared by scheme. The
// dotted scheme compares numbers component by component with every digit kept; semver follows 2.0.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions, DEFAULT_PATTERNS, extractVersion, isComparable } from '../../../src/policy/version.js';

const DEFAULT_PATTERN = DEFAULT_PATTERNS.dotted;
const SEMVER = DEFAULT_PATTERNS.semver;

describe('extractVersion', () => {
  const rows: [source: string, pattern: string, version: string | null][] = [
    ['release-1.10', DEFAULT_PATTERN, '1.10'],
    ['release-2026.11.27', DEFAULT_PATTERN, '2026.11.27'],
    ['release-latest', DEFAULT_PATTERN, null],
    // The last run of dotted numbers: a digit in a board name is not taken for the version.
    ['rpi4-release-1.2', DEFAULT_PATTERN, '1.2'],
    ['rpi4-release-1.2', SEMVER, null],
    ['rpi4-app-2.0.0-rc.1', SEMVER, '2.0.0-rc.1'],
    ['app-2.0.0+build.7', SEMVER, '2.0.0+build.7'],
    ['app-2.0.0-final-x', SEMVER, '2.0.0-final-x'],
    ['build-77-v2.1', 'build-(\\d+)-v(?<version>\\d+(?:\\.\\d+)*)', '2.1'],
    ['build-77-v2.1', 'build-(\\d+)', '77'],
    ['v2.1-final', '\\d+\\.\\d+', '2.1'],
    ['release-', '-(\\d*)', null],
    ['Äpfel-3.0', '[A-Za-zÄÖÜäöü]+-(\\d+\\.\\d+)', '3.0'],
  ];
  for (const [source, pattern, version] of rows) {
    it(`${source} with /${pattern}/ gives ${String(version)}`, () => assert.equal(extractVersion(source, pattern), version));
  }
});

describe('isComparable', () => {
  const rows: [version: string, scheme: 'dotted' | 'semver', comparable: boolean][] = [
    ['1', 'dotted', true],
    ['1.2.3.4', 'dotted', true],
    ['01.2', 'dotted', true],
    ['', 'dotted', false],
    ['1.', 'dotted', false],
    ['.1', 'dotted', false],
    ['1..2', 'dotted', false],
    ['v1.2', 'dotted', false],
    ['1.2-rc1', 'dotted', false],
    ['1.2.3', 'semver', true],
    ['1.2.3-rc.1', 'semver', true],
    ['1.2.3+build.5', 'semver', true],
    ['1.2', 'semver', false],
    ['01.2.3', 'semver', false],
  ];
  for (const [version, scheme, comparable] of rows) {
    it(`${JSON.stringify(version)} is ${comparable ? '' : 'not '}a ${scheme} version`, () => assert.equal(isComparable(version, scheme), comparable));
  }
});

describe('compareVersions', () => {
  const rows: [a: string, b: string, scheme: 'dotted' | 'semver', order: -1 | 0 | 1][] = [
    ['1.10', '1.9', 'dotted', 1],
    ['2', '10', 'dotted', -1],
    ['1.2', '1.2.0', 'dotted', 0],
    ['1.2.0.1', '1.2', 'dotted', 1],
    ['1.01', '1.1', 'dotted', 0],
    ['20261127093000001', '20261127093000002', 'dotted', -1],
    ['1.0.20261127093000002', '1.0.20261127093000001', 'dotted', 1],
    ['1.2.3-rc.1', '1.2.3', 'semver', -1],
    ['1.2.3-alpha', '1.2.3-beta', 'semver', -1],
    ['1.2.3-rc.2', '1.2.3-rc.10', 'semver', -1],
    ['1.10.0', '1.9.0', 'semver', 1],
    ['1.2.3+build.1', '1.2.3+build.2', 'semver', 0],
  ];
  for (const [a, b, scheme, order] of rows) {
    it(`${scheme}: ${a} ${['<', '=', '>'][order + 1] ?? ''} ${b}`, () => {
      assert.equal(Math.sign(compareVersions(a, b, scheme)), order);
      assert.equal(Math.sign(compareVersions(b, a, scheme)), -order || 0);
    });
  }

  it('the build-number rows are beyond what a JavaScript number can tell apart', () => {
    assert.equal(Number('20261127093000001'), Number('20261127093000002'));
  });
});
