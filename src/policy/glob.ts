// Glob matching in time linear in the name: names and paths come from an untrusted stick, and a
// backtracking regex compiled from a glob (`*-*-*-rc`) costs the name's length to the power of its
// stars. A pattern is compiled once into tokens; a name is matched by the two-pointer wildcard
// algorithm (a star is only ever retried one character further on), O(name × pattern).

/** One character position of a pattern: a literal, any one character, a class, or a star. */
type Token = { kind: 'char'; char: string } | { kind: 'any' } | { kind: 'class'; negated: boolean; ranges: [string, string][] } | { kind: 'star' };

/** What a compiled segment matches; `crossSlash` lets `?` and `*` match `/` (artifact names). */
interface Compiled {
  tokens: Token[];
  crossSlash: boolean;
}

/** Longest expansion of braces in one glob: `{a,b}{c,d}` is 4; beyond this the glob is refused. */
export const MAX_BRACE_EXPANSIONS = 64;

export class GlobError extends Error {}

function parseClass(chars: readonly string[], start: number): { token: Token; end: number } | null {
  let i = start + 1;
  let negated = false;
  if (chars[i] === '!' || chars[i] === '^') {
    negated = true;
    i++;
  }
  const ranges: [string, string][] = [];
  let first = true;
  while (i < chars.length && (chars[i] !== ']' || first)) {
    first = false;
    let low = chars[i] as string;
    if (low === '\\' && i + 1 < chars.length) low = chars[++i] as string;
    if (chars[i + 1] === '-' && i + 2 < chars.length && chars[i + 2] !== ']') {
      let high = chars[i + 2] as string;
      i += 2;
      if (high === '\\' && i + 1 < chars.length) high = chars[++i] as string;
      ranges.push([low, high]);
    } else ranges.push([low, low]);
    i++;
  }
  // An unclosed [ is a literal, as in a shell.
  if (i >= chars.length) return null;
  return { token: { kind: 'class', negated, ranges }, end: i };
}

function compileSegment(text: string, options: { classes: boolean; crossSlash: boolean }): Compiled {
  const chars = [...text];
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      // Consecutive stars are one star: `**` inside a segment means what `*` does.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (ch === '?') tokens.push({ kind: 'any' });
    else if (ch === '[' && options.classes) {
      const parsed = parseClass(chars, i);
      if (parsed) {
        tokens.push(parsed.token);
        i = parsed.end;
      } else tokens.push({ kind: 'char', char: ch });
    } else if (ch === '\\' && options.classes && i + 1 < chars.length) tokens.push({ kind: 'char', char: chars[++i] as string });
    else tokens.push({ kind: 'char', char: ch });
  }
  return { tokens, crossSlash: options.crossSlash };
}

function matchesOne(token: Token, ch: string, crossSlash: boolean): boolean {
  if (!crossSlash && ch === '/') return false;
  if (token.kind === 'any') return true;
  if (token.kind === 'char') return token.char === ch;
  if (token.kind === 'class') return token.ranges.some(([low, high]) => low <= ch && ch <= high) !== token.negated;
  return false;
}

/**
 * The two-pointer algorithm: on a mismatch, go back to the last star and let it take one character
 * more. Each star is retried at most once per name position, and an earlier star never needs to be
 * retried once a later one is reached, so the work is at most name × pattern.
 */
function matchTokens(compiled: Compiled, name: readonly string[]): boolean {
  const { tokens, crossSlash } = compiled;
  let t = 0;
  let n = 0;
  let starT = -1;
  let starN = 0;
  while (n < name.length) {
    const token = tokens[t];
    if (token !== undefined && token.kind === 'star') {
      starT = t++;
      starN = n;
    } else if (token !== undefined && matchesOne(token, name[n] as string, crossSlash)) {
      t++;
      n++;
    } else if (starT >= 0 && (crossSlash || name[starN] !== '/')) {
      // The star takes one more character (never a / in a path segment) and the rest is tried again.
      t = starT + 1;
      n = ++starN;
    } else return false;
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

/** `{a,b}` expanded, nested braces included; a `{` without a matching `}` or `,` is literal. */
export function expandBraces(glob: string): string[] {
  const chars = [...glob];
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '\\') i++;
    else if (ch === '{') {
      if (depth++ === 0) open = i;
    } else if (ch === ',' && depth === 1) commas.push(i);
    else if (ch === '}' && depth > 0 && --depth === 0) {
      if (commas.length === 0) {
        open = -1;
        continue;
      }
      const before = chars.slice(0, open).join('');
      const after = chars.slice(i + 1).join('');
      const bounds = [open, ...commas, i];
      const results: string[] = [];
      for (let k = 0; k + 1 < bounds.length; k++) {
        const part = chars.slice((bounds[k] as number) + 1, bounds[k + 1]).join('');
        for (const expanded of expandBraces(`${before}${part}${after}`)) {
          results.push(expanded);
          if (results.length > MAX_BRACE_EXPANSIONS) throw new GlobError(`braces expand to more than ${MAX_BRACE_EXPANSIONS} globs`);
        }
      }
      return results;
    }
  }
  return [glob];
}

/**
 * Artifact-name patterns: `*` any run of characters, `?` one; everything else literal. Linear in
 * the name for a given pattern.
 */
export function namePatternMatcher(patterns: readonly string[]): (name: string) => boolean {
  const compiled = patterns.map((pattern) => compileSegment(pattern, { classes: false, crossSlash: true }));
  return (name) => {
    const chars = [...name];
    return compiled.some((c) => matchTokens(c, chars));
  };
}

type PathPattern = ({ kind: 'globstar' } | { kind: 'segment'; compiled: Compiled })[];

function matchPath(pattern: PathPattern, segments: readonly (readonly string[])[]): boolean {
  // The same two-pointer walk one level up: `**` is the star, a segment glob the character.
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < segments.length) {
    const part = pattern[p];
    if (part?.kind === 'globstar') {
      starP = p++;
      starS = s;
    } else if (part !== undefined && matchTokens(part.compiled, segments[s] as readonly string[])) {
      p++;
      s++;
    } else if (starP >= 0) {
      p = starP + 1;
      s = ++starS;
    } else return false;
  }
  while (pattern[p]?.kind === 'globstar') p++;
  return p === pattern.length;
}

/**
 * Path globs relative to a stick's root: `*` and `?` within one folder level, `[a-z]` and `[!x]`
 * classes, `{a,b}` alternatives, `**` as a whole level for any number of levels, `\` to quote.
 * Dot files match like any other (the caller reports them). Throws GlobError for braces that
 * expand too far.
 */
export function pathGlobMatcher(globs: readonly string[]): (relativePath: string) => boolean {
  const compiled: PathPattern[] = globs.flatMap(expandBraces).map((glob) =>
    glob.split('/').map((segment) => (segment === '**' ? { kind: 'globstar' as const } : { kind: 'segment' as const, compiled: compileSegment(segment, { classes: true, crossSlash: false }) })),
  );
  return (relativePath) => {
    const segments = relativePath.split('/').map((segment) => [...segment]);
    return compiled.some((pattern) => matchPath(pattern, segments));
  };
}
