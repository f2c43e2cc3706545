// User regular expressions (`versioning.pattern`) run by RE2 (the re2js package, a pure-JavaScript
// port of RE2/Go regexp): matching takes time linear in the name, so a pattern such as `^(a+)+$` on
// a crafted name can never backtrack. RE2 takes no backreferences or lookarounds: `config check`
// refuses such a pattern, naming what and where, rather than run it by backtracking.

import { RE2JS } from 're2js';

/** What `extractVersion` needs of a match: the whole match, the groups by number and by name. */
export interface LinearMatch {
  readonly [index: number]: string | undefined;
  readonly groups?: Record<string, string | undefined>;
}

export interface LinearRegExp {
  exec(text: string): LinearMatch | null;
}

const cache = new Map<string, LinearRegExp>();

// What RE2 cannot run, and how a person recognises it in the pattern: named before RE2's own message
// (which only says "invalid escape sequence"), with where it is.
const UNSUPPORTED: [RegExp, string][] = [
  [/\(\?<?[=!]/, 'a lookahead or lookbehind'],
  [/\\[1-9]|\\k</, 'a backreference'],
];

/** Why `pattern` cannot be used, with its position; null when RE2 compiles it. */
export function linearRegExpProblem(pattern: string): string | null {
  for (const [finder, what] of UNSUPPORTED) {
    const at = escapedAware(pattern, finder);
    if (at !== null) return `uses ${what} at character ${at + 1}, which could take time exponential in the name; write it without`;
  }
  try {
    RE2JS.compile(pattern);
  } catch (err) {
    // RE2's messages name the construct: "missing closing ): `(a`".
    return `not a valid regular expression for RE2: ${(err as Error).message.replace(/^error parsing regexp: /, '')}`;
  }
  return null;
}

/** The first match of `finder` in `pattern` that is not itself escaped (`\\1` is a backslash and a 1). */
function escapedAware(pattern: string, finder: RegExp): number | null {
  const global = new RegExp(finder.source, 'g');
  for (const match of pattern.matchAll(global)) {
    let backslashes = 0;
    for (let i = match.index - 1; i >= 0 && pattern[i] === '\\'; i--) backslashes++;
    if (backslashes % 2 === 0) return match.index;
  }
  return null;
}

/** `pattern` compiled by RE2, once. Throws for what linearRegExpProblem refuses. */
export function linearRegExp(pattern: string): LinearRegExp {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    const problem = linearRegExpProblem(pattern);
    if (problem !== null) throw new SyntaxError(`versioning.pattern ${problem}`);
    const re2 = RE2JS.compile(pattern);
    compiled = { exec: (text) => re2.exec(text) as LinearMatch | null };
    cache.set(pattern, compiled);
  }
  return compiled;
}
