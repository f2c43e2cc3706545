// Bounds on JSON from a stick, checked before JSON.parse and without recursion: the nesting depth
// and the length of every string (keys included). Every later walk over header JSON (the augment
// merge, the policy's comparisons, the printers, JSON.stringify) may then recurse safely: it can
// never go deeper than LIMITS.jsonDepth.

import { UpdaterError } from '../errors/index.js';

export interface JsonBounds {
  /** Most nested arrays and objects, the outermost counted as 1. */
  maxDepth: number;
  /** Most UTF-16 code units in one string literal as written (escapes counted as written). */
  maxString: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Scans `text` once, left to right, and throws ARTIFACT_TOO_LARGE naming `where` when it nests
 * deeper or holds a longer string than `bounds` allow. Syntax is left to JSON.parse: this only
 * tracks strings (so brackets inside them do not count) and depth.
 */
export function checkJsonBounds(text: string, bounds: JsonBounds, where: string): void {
  let depth = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      i = start;
      while (i < n) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i += 2;
        else if (s === QUOTE) break;
        else i += 1;
      }
      const length = Math.min(i, n) - start;
      if (length > bounds.maxString) {
        throw new UpdaterError('ARTIFACT_TOO_LARGE', `${where}: a string of ${length} characters, over the ${bounds.maxString}-character limit`);
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth += 1;
      if (depth > bounds.maxDepth) {
        throw new UpdaterError('ARTIFACT_TOO_LARGE', `${where}: nested deeper than ${bounds.maxDepth} levels`);
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth -= 1;
    }
    i += 1;
  }
}
