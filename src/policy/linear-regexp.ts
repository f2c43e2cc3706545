// User regular expressions (`versioning.pattern`) run by V8's linear-time engine (the `l` flag), so
// that a pattern such as `^(a+)+$` on a crafted name costs time linear in the name, never
// exponential. The engine takes no backreferences, lookarounds or Unicode-mode escapes: `config
// check` refuses such a pattern, naming what and where, rather than run it by backtracking.

// eslint-disable-next-line no-restricted-imports -- a V8 switch for the RegExp engine, not the OS: no file, process or network.
import { setFlagsFromString } from 'node:v8';

// Read when a RegExp is compiled, so setting it here, before the first `l` pattern, is enough.
setFlagsFromString('--enable-experimental-regexp-engine');

// The flag that selects the linear engine (unknown to lint's list of flags, hence a name).
const LINEAR = 'l';

const cache = new Map<string, RegExp>();

// What the linear engine cannot run, and how a person recognises it in the pattern.
const UNSUPPORTED: [RegExp, string][] = [
  [/\(\?<?[=!]/, 'a lookahead or lookbehind'],
  [/\\[1-9]|\\k</, 'a backreference'],
  [/\\[pP]\{/, 'a Unicode property escape (\\p{...})'],
  [/\\u\{/, 'a code point escape (\\u{...})'],
];

/** Why `pattern` cannot be used, with its position; null when it compiles for the linear engine. */
export function linearRegExpProblem(pattern: string): string | null {
  try {
    // Valid in Unicode mode too, so that its meaning does not hinge on the mode it runs in.
    new RegExp(pattern, 'u');
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
  for (const [finder, what] of UNSUPPORTED) {
    const at = escapedAware(pattern, finder);
    if (at !== null) return `uses ${what} at character ${at + 1}, which could take time exponential in the name; write it without`;
  }
  try {
    new RegExp(pattern, LINEAR);
  } catch {
    return 'cannot be run in time linear in the name (it needs backtracking); write it without backreferences or lookarounds';
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

/** `pattern` compiled for the linear engine, once. Throws for what linearRegExpProblem refuses. */
export function linearRegExp(pattern: string): RegExp {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    const problem = linearRegExpProblem(pattern);
    if (problem !== null) throw new SyntaxError(`versioning.pattern ${problem}`);
    compiled = new RegExp(pattern, LINEAR);
    cache.set(pattern, compiled);
  }
  return compiled;
}
