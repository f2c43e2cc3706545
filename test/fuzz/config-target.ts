// Fuzz target 2: the config loader on YAML text. loadConfig never throws for a bad file: it returns
// every problem with a position. So beyond the oracle's rule, a rejection must list at least one
// problem, each with a line and column inside the text and a message.

import { configJsonSchema, loadConfig, type LoadResult } from '../../src/policy/index.js';
import { UpdaterError } from '../../src/errors/index.js';
import { keyPem, REPO } from '../support/skip/fixtures.js';
import { readFolder, regressionInputs } from './corpus-files.js';
import { Finding, outcomeOf } from './oracle.js';
import { CONFIG_MUTATORS } from './structure.js';
import type { FuzzTarget } from './target.js';

export const FILE = '/etc/usb-updater/config.yaml';

// The key files the example configs name, with real public keys; any other path does not exist,
// and the loader hears that the way src/system says it (IO_ERROR).
const KEY_FILES = new Map([
  ['/etc/usb-updater/keys/artifact-verify.pem', keyPem('ec-p256.pub')],
  ['/etc/usb-updater/keys/release-2026.pem', keyPem('rsa3072.pub')],
  ['/etc/usb-updater/keys/release-2027.pem', keyPem('rsa2048-other.pub')],
  ['/etc/usb-updater/keys/app-signing.pem', keyPem('rsa1024-weak.pub')],
]);

export function readKeyFile(path: string): Promise<string> {
  const pem = KEY_FILES.get(path);
  return pem === undefined ? Promise.reject(new UpdaterError('IO_ERROR', `${path}: no such file`)) : Promise.resolve(pem);
}

function checkProblems(result: LoadResult, text: string): string {
  if (result.ok) return 'ok';
  if (result.problems.length === 0) throw new Finding('crash', 'rejected with no problem listed');
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const p of result.problems) {
    const where = `${p.line}:${p.col}`;
    if (!Number.isInteger(p.line) || !Number.isInteger(p.col) || p.line < 1 || p.col < 1 || p.line > lines + 1) {
      throw new Finding('crash', `problem at ${where} is outside the ${lines}-line text: ${p.message}`);
    }
    if (p.file !== FILE || typeof p.message !== 'string' || p.message === '') throw new Finding('crash', `problem at ${where} has no message or the wrong file`);
  }
  return 'rejected';
}

/** Every key the schema knows, as YAML keys, for the dictionary. */
function schemaKeys(node: unknown, into: Set<string>): Set<string> {
  if (node === null || typeof node !== 'object') return into;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'properties' && value !== null && typeof value === 'object') for (const name of Object.keys(value)) into.add(`${name}: `);
    schemaKeys(value, into);
  }
  return into;
}

const YAML_TOKENS = [
  '\n', '\n  ', '\n    - ', '- ', ': ', '{', '}', '[', ']', ', ', '"', "'", '&a ', '*a', '<<: ', '!!str ', '!!int ', '!!binary ', '!!map ',
  '!!set ', '!custom ', '---\n', '...\n', '|\n  ', '>-\n  ', '? ', '%YAML 1.2\n', '%TAG ! tag:x,2026:\n', '# ', '\t', '\\u0000', '\ufeff',
  'true', 'false', 'null', '~', '8GiB', '0.5KiB', '30s', '1h30m', '250ms', '1e309', '0x10', '0o17', '-1', '.inf', '.nan', '9007199254740993',
  'semver', 'dotted', 'name', 'provide', 'refuse', 'first-path', 'immediate', 'delay', 'on-removal', 'never', '(?<version>\\d+)', '(', '[a-',
  '*.mender', '../x', '/abs', '0781', 'vfat',
];

const configTarget: FuzzTarget = {
  name: 'config',
  seeds: () => [
    ...readFolder(`${REPO}config/`, '.yaml').map((f) => f.bytes),
    ...readFolder(`${REPO}config/examples/`, '.yaml').map((f) => f.bytes),
    ...regressionInputs('config').map((r) => r.bytes),
  ],
  dictionary: [...schemaKeys(configJsonSchema(), new Set()), ...YAML_TOKENS].map((t) => Buffer.from(t)),
  maxLength: 16 * 1024,
  structured: Object.values(CONFIG_MUTATORS),
  covers: (url) => url.includes('/dist/src/policy/') || /\/node_modules\/(yaml|zod)\//.test(url),
  async run(input) {
    const text = input.toString('utf8');
    const result = await outcomeOf(() => loadConfig(text, FILE, { readKeyFile }), 'loadConfig');
    return result.ok ? checkProblems(result.value, text) : result.code;
  },
};

export default configTarget;
