// Maps a key path in a parsed YAML document back to where it was written, so every config error can
// say FILE:LINE:COL. A path that does not exist in the file (a default, a missing key) falls back to
// its deepest ancestor that does.

import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type KeyPath = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

/** `signature.keys[0]`, as paths are printed. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

interface Located {
  /** The value node at the path, or the deepest ancestor found. */
  node: Node | null;
  /** The key node of the last map pair walked through. */
  key: Node | null;
  /** How many segments of the path were found. */
  depth: number;
}

function locate(doc: Document, path: KeyPath): Located {
  let node = doc.contents;
  let key: Node | null = null;
  let depth = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      key = pair.key as Node;
      node = (pair.value as Node | null) ?? key;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined) break;
      key = null;
      node = item;
    } else {
      break;
    }
    depth += 1;
  }
  return { node, key, depth };
}

function positionOf(node: Node | null, lines: LineCounter): Position {
  const offset = node?.range?.[0];
  return offset === undefined ? { line: 1, col: 1 } : lines.linePos(offset);
}

/** Where the value at `path` (or its deepest written ancestor) starts. */
export function valuePosition(doc: Document, lines: LineCounter, path: KeyPath): Position {
  return positionOf(locate(doc, path).node, lines);
}

/** Where the key `name` of the map at `path` is written (for unknown keys). */
export function keyPosition(doc: Document, lines: LineCounter, path: KeyPath, name: string): Position {
  const located = locate(doc, [...path, name]);
  const found = located.depth === path.length + 1;
  return positionOf(found ? located.key : located.node, lines);
}
