// A linear pre-scan of a config's YAML for flow nesting (`[` and `{`), before the `yaml` parser sees
// it: the parser costs some 20 µs per level and ends a few thousand levels down in a stack overflow,
// so a file of brackets (the fuzzer's finding: 60,000 levels, seconds to be refused) is refused here
// in one pass instead. Block nesting needs indentation that grows with depth, so the 1 MiB bound on
// the file already keeps it shallow.

/** The deepest flow nesting a config may have; the deepest real one (a list of maps) needs 3. */
export const MAX_FLOW_DEPTH = 64;

/** Where the flow nesting first goes past `max` (1-based line and column), or null. */
export function flowDepthExceeded(text: string, max = MAX_FLOW_DEPTH): { line: number; col: number } | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      lineStart = i + 1;
      continue;
    }
    if (quote !== null) {
      // In double quotes a backslash escapes the next character; in single quotes '' is a quote.
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = null;
      }
      continue;
    }
    if (c === '#' && (i === lineStart || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      // A comment runs to the end of its line.
      const end = text.indexOf('\n', i);
      i = (end === -1 ? text.length : end) - 1;
    } else if (c === '"' || c === "'") {
      // A quote opens a quoted scalar only where a scalar starts; inside a plain word it is a letter.
      const before = i === lineStart ? ' ' : text[i - 1] ?? ' ';
      if (' \t[{,:-?'.includes(before)) quote = c;
    } else if (c === '[' || c === '{') {
      if (++depth > max) return { line, col: i - lineStart + 1 };
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return null;
}
