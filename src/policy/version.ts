// Versions of artifacts: found in a name or a provide with the configured pattern, compared by the
// configured scheme. A version that cannot be found or parsed is null, never a guess.

// The two functions only, not the whole package (about 50 modules more to load on every install).
import compare from 'semver/functions/compare.js';
import valid from 'semver/functions/valid.js';
import type { Config } from './config-schema.js';
import { linearRegExp } from './linear-regexp.js';

export type Versioning = Config['versioning'];

/**
 * The pattern used when the config names none, per scheme. dotted: the last run of dotted numbers
 * (rpi4-release-1.10 -> 1.10). semver: a full semver at the end, pre-release and build included
 * (app-2.0.0-rc.1 -> 2.0.0-rc.1).
 */
export const DEFAULT_PATTERNS: Record<Versioning['scheme'], string> = {
  dotted: '(\\d+(?:\\.\\d+)*)(?!.*\\d)',
  semver: '(\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)$',
};

export const patternOf = (versioning: Versioning): string => versioning.pattern ?? DEFAULT_PATTERNS[versioning.scheme];

/**
 * The last run of dotted numbers in `source`, what the default dotted pattern means, found in one
 * pass: the run that holds the last digit, extended back over digits and over dots that have a digit
 * on both sides. The regex form (`\d+(?:\.\d+)*(?!.*\d)`) is quadratic in a backtracking engine.
 */
function lastDottedRun(source: string): string | null {
  let end = source.length - 1;
  while (end >= 0 && !isDigit(source, end)) end--;
  if (end < 0) return null;
  let start = end;
  while (start > 0 && (isDigit(source, start - 1) || (source[start - 1] === '.' && start >= 2 && isDigit(source, start - 2)))) start--;
  return source.slice(start, end + 1);
}

function isDigit(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code >= 48 && code <= 57;
}

/** The version text in `source` by the pattern: group `version`, else group 1, else the match. */
export function extractVersion(source: string, pattern: string): string | null {
  if (pattern === DEFAULT_PATTERNS.dotted) return lastDottedRun(source);
  // Every other pattern, the semver default included, runs in RE2 (linear time).
  const match = linearRegExp(pattern).exec(source);
  if (!match) return null;
  const found = match.groups?.['version'] ?? match[1] ?? match[0];
  return found === undefined || found === '' ? null : found;
}

const DOTTED = /^\d+(?:\.\d+)*$/;

function compareDotted(a: string, b: string): number {
  // BigInt: a build number such as 20261127093000 must not lose digits.
  const left = a.split('.').map(BigInt);
  const right = b.split('.').map(BigInt);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    // A missing component counts as 0: 1.2 equals 1.2.0.
    const l = left[i] ?? 0n;
    const r = right[i] ?? 0n;
    if (l !== r) return l < r ? -1 : 1;
  }
  return 0;
}

/** Whether `version` is valid in `scheme`, so it can be compared. */
export function isComparable(version: string, scheme: Versioning['scheme']): boolean {
  return scheme === 'semver' ? valid(version) !== null : DOTTED.test(version);
}

/** Negative, zero or positive as a < b, a = b, a > b. Both must be comparable. */
export function compareVersions(a: string, b: string, scheme: Versioning['scheme']): number {
  return scheme === 'semver' ? compare(a, b) : compareDotted(a, b);
}
