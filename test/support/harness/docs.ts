// The project's documents, for the tests that hold them to the code: every README.md in the tree,
// read in one place, with the section or table under a heading, the links between documents and the
// repository paths they name. Fenced code blocks are skipped: a `#` or a link there is not markdown.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../skip/fixtures.js';

/** The top-level folders that may hold documents (dist/ and node_modules/ are build output). */
const DOC_ROOTS = ['src', 'config', 'udev', 'test'] as const;

export interface Docs {
  /** Every document's path from the repository root, `README.md` first. */
  readonly paths: readonly string[];
  /** Every document's text, joined: for facts that may live in any of them. */
  readonly all: string;
  /** The text of one document, by its path from the repository root; fails when there is none. */
  text(path: string): string;
}

function findReadmes(dir: string, prefix: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory()) return findReadmes(path, `${path}/`);
    return entry.isFile() && entry.name === 'README.md' ? [path] : [];
  });
}

export function readDocs(): Docs {
  const paths = ['README.md', ...DOC_ROOTS.flatMap((root) => findReadmes(root, `${root}/`)).sort()];
  const texts = new Map(paths.map((path) => [path, readFileSync(join(REPO, path), 'utf8')]));
  return {
    paths,
    all: [...texts.values()].join('\n'),
    text(path) {
      const text = texts.get(path);
      if (text === undefined) throw new Error(`no document ${path} (documents: ${paths.join(', ')})`);
      return text;
    },
  };
}

/** The lines of `text` outside fenced code blocks, each with its index. */
function proseLines(text: string): { line: string; index: number }[] {
  let fenced = false;
  const lines: { line: string; index: number }[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced) lines.push({ line, index });
  });
  return lines;
}

const HEADING = /^(#{1,6}) (.+)$/;

/** The section under the heading whose text is `heading`: its lines up to the next heading of the same or a higher level. */
export function section(text: string, heading: string): string {
  const headings = proseLines(text).flatMap(({ line, index }) => {
    const match = HEADING.exec(line);
    return match?.[1] && match[2] ? [{ level: match[1].length, title: match[2], index }] : [];
  });
  const start = headings.findIndex((h) => h.title === heading);
  const found = headings[start];
  if (found === undefined) throw new Error(`no heading "${heading}"`);
  const end = headings.slice(start + 1).find((h) => h.level <= found.level);
  return text.split('\n').slice(found.index, end?.index).join('\n');
}

/** The body rows of the first table under `heading` (without its header and separator lines). */
export function tableRows(text: string, heading: string): string[] {
  const lines = section(text, heading).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  if (start < 0) throw new Error(`no table under "${heading}"`);
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  return lines.slice(start + 2, end < 0 ? undefined : end);
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes. */
export function githubSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every heading anchor of a document; a repeated heading gets `-1`, `-2`… as on GitHub. */
export function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { line } of proseLines(text)) {
    const title = HEADING.exec(line)?.[2];
    if (title === undefined) continue;
    const slug = githubSlug(title);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** The text outside fenced code blocks; a code span may run over a line break, as in markdown. */
const prose = (text: string): string => proseLines(text).map(({ line }) => line).join('\n');

/** Every inline code span of a document, outside code blocks, line breaks in it read as spaces. */
export function codeSpans(text: string): string[] {
  return [...prose(text).matchAll(/`([^`]+)`/g)].map((m) => (m[1] ?? '').replace(/\s*\n\s*/g, ' '));
}

/** The targets of the markdown links of a document, outside code blocks and code spans. */
export function linkTargets(text: string): string[] {
  return [...prose(text).replace(/`[^`]+`/g, '').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
}
