// Turns the text of a config file into a validated Config, or into every problem it has at once,
// each with the line and column where it was written. Reading files is the caller's job: the text
// comes in, and key files are read through the injected `readKeyFile`.

import { posix } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { parsePublicKey, type VerificationKey } from '../artifact/index.js';
import { configJsonSchema, configSchema, type Config } from './config-schema.js';
import { closest } from './suggest.js';
import { flowDepthExceeded, MAX_FLOW_DEPTH } from './yaml-depth.js';
import { formatKeyPath, keyPosition, valuePosition, type KeyPath } from './yaml-positions.js';

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  /** `signature.keys[0]`; empty for a YAML syntax error. */
  path: string;
  message: string;
}

export interface LoadedConfig {
  file: string;
  config: Config;
  /** `signature.keys`, read and parsed, in order. */
  keys: VerificationKey[];
}

export type LoadResult = { ok: true; loaded: LoadedConfig } | { ok: false; problems: ConfigProblem[] };

export interface LoadOptions {
  /** Reads a key file (an absolute path) as text; throws when it cannot. */
  readKeyFile: (path: string) => Promise<string>;
}

/** `FILE:LINE:COL key.path: message`, the one way config problems are printed. */
export function formatProblem(problem: ConfigProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.col}`;
  return problem.path === '' ? `${where}: ${problem.message}` : `${where} ${problem.path}: ${problem.message}`;
}

// Aliases can expand a small file into a huge structure ("billion laughs"); a config needs few.
const MAX_ALIAS_COUNT = 100;

type JsonSchemaNode = { properties?: Record<string, JsonSchemaNode>; items?: JsonSchemaNode; oneOf?: JsonSchemaNode[]; const?: unknown };

/**
 * Of a union's options (a health check of each type), the one whose constant keys (`type`) match
 * what was written; the node itself when it is no union.
 */
function branchFor(node: JsonSchemaNode, data: unknown): JsonSchemaNode | undefined {
  if (node.oneOf === undefined) return node;
  const written = (data ?? {}) as Record<string, unknown>;
  return node.oneOf.find((option) => Object.entries(option.properties ?? {}).every(([key, child]) => child.const === undefined || child.const === written[key]));
}

/** The keys the schema knows for the map at `path` in `data` (for "did you mean"). */
function knownKeys(path: KeyPath, data: unknown): string[] {
  let node: JsonSchemaNode | undefined = configJsonSchema();
  let value = data;
  for (const segment of path) {
    if (node === undefined) return [];
    node = typeof segment === 'number' ? node.items : node.properties?.[segment];
    value = (value as Record<string | number, unknown> | null | undefined)?.[segment];
    node = node === undefined ? undefined : branchFor(node, value);
  }
  return Object.keys(node?.properties ?? {});
}

const quoted = (values: readonly unknown[]): string => values.map((v) => JSON.stringify(v)).join(', ');

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  // JSON has no NaN or infinity (it would print null): YAML's .nan and .inf are named as written.
  if (typeof value === 'number' && Number.isNaN(value)) return 'not a number (.nan)';
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value > 0 ? '' : 'minus '}infinity (${value > 0 ? '' : '-'}.inf)`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

const EXPECTED: Record<string, string> = { object: 'a map of keys', array: 'a list', string: 'a string', boolean: 'true or false', number: 'a number', int: 'a whole number' };

/** A union told apart by one key (a health check's `type`) that matched none: say which exist, and the closest. */
function discriminatorMessage(key: string, options: readonly unknown[], input: unknown): string {
  const written = (input as Record<string, unknown> | null | undefined)?.[key];
  if (written === undefined) return `missing: must be one of ${quoted(options)}`;
  const suggestion = typeof written === 'string' ? closest(written, options.map(String)) : null;
  const hint = suggestion === null ? '' : `: did you mean "${suggestion}"?`;
  return `must be one of ${quoted(options)}, got ${describeValue(written)}${hint}`;
}

/** Messages in the words of someone editing YAML rather than of the validation library. */
function messageFor(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_union':
      if (issue.discriminator !== undefined && Array.isArray(issue.options)) return discriminatorMessage(issue.discriminator, issue.options, issue.input);
      return `not a valid value: got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(issue.input)}`;
    case 'too_big':
      return issue.origin === 'array' ? `must list at most ${issue.maximum}` : `must be at most ${issue.maximum}, got ${describeValue(issue.input)}`;
    case 'too_small':
      return issue.origin === 'array' ? undefined : `must be at least ${issue.minimum}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
}

/** A section written with nothing under it (`search:` with every key commented out) takes its defaults. */
function dropEmptySections(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== null));
}

function problemsFromIssues(doc: Document, lines: LineCounter, file: string, data: unknown, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(path, data);
      for (const key of issue.keys) {
        const suggestion = closest(key, known);
        const hint = suggestion ? `did you mean "${suggestion}"?` : `known keys here: ${known.join(', ')}`;
        problems.push({ file, ...keyPosition(doc, lines, path, key), path: formatKeyPath([...path, key]), message: `unknown key "${key}": ${hint}` });
      }
      continue;
    }
    problems.push({ file, ...valuePosition(doc, lines, path), path: formatKeyPath(path), message: issue.message });
  }
  return problems;
}

function keyProblem(path: string, err: unknown): string {
  const message = (err as Error).message;
  // File errors already name the path; key-format errors do not.
  return message.startsWith(path) ? `key file ${message}` : `key file ${path}: ${message}`;
}

/** `signature.keys` as written, when it is a list; strings only (the schema reports the rest). */
function keyFilesOf(data: unknown): [number, string][] {
  const keys = (data as { signature?: { keys?: unknown } } | null)?.signature?.keys;
  if (!Array.isArray(keys)) return [];
  return keys.flatMap((key: unknown, index) => (typeof key === 'string' && key !== '' ? [[index, key] as [number, string]] : []));
}

// Key files are checked even when the rest of the file is invalid, so one run shows every problem.
async function readKeys(doc: Document, lines: LineCounter, file: string, data: unknown, options: LoadOptions): Promise<{ keys: VerificationKey[]; problems: ConfigProblem[] }> {
  const keys: VerificationKey[] = [];
  const problems: ConfigProblem[] = [];
  const base = posix.dirname(file);
  for (const [index, keyFile] of keyFilesOf(data)) {
    const path = ['signature', 'keys', index];
    const absolute = posix.resolve(base, keyFile);
    try {
      keys.push(parsePublicKey(await options.readKeyFile(absolute), absolute));
    } catch (err) {
      problems.push({ file, ...valuePosition(doc, lines, path), path: formatKeyPath(path), message: keyProblem(absolute, err) });
    }
  }
  return { keys, problems };
}

/** Parses and validates `text`, the content of `file`. Never throws for a bad file: it returns the problems. */
export async function loadConfig(text: string, file: string, options: LoadOptions): Promise<LoadResult> {
  const deep = flowDepthExceeded(text);
  if (deep !== null) {
    return { ok: false, problems: [{ file, ...deep, path: '', message: `YAML: nested deeper than ${MAX_FLOW_DEPTH} levels of [ ] and { }; a config needs a few` }] };
  }
  const lines = new LineCounter();
  // logLevel: a map used as a key is the schema's unknown key, not a Node warning on stderr.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err) => ({ file, ...lines.linePos(err.pos[0]), path: '', message: `YAML: ${err.message}` }));
    return { ok: false, problems };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    return { ok: false, problems: [{ file, line: 1, col: 1, path: '', message: `YAML: ${(err as Error).message}` }] };
  }
  const parsed = configSchema.safeParse(dropEmptySections(data), { error: messageFor });
  const { keys, problems } = await readKeys(doc, lines, file, data, options);
  if (!parsed.success) problems.push(...problemsFromIssues(doc, lines, file, data, parsed.error.issues));
  if (!parsed.success || problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, loaded: { file, config: parsed.data, keys } };
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}
