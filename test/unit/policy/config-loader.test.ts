// loadConfig() on every kind of mistake a config file can hold, each row asserting the exact lines
// `formatProblem` prints (FILE:LINE:COL key.path: message), and on valid files the whole normalized
// config. Key files are real: the committed fixture keys, read through the injected reader.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { formatProblem, loadConfig, type Config, type LoadResult } from '../../../src/policy/index.js';
import { FIXTURES, KEYS } from '../../support/skip/fixtures.js';

const FILE = '/etc/usb-updater/config.yaml';
/** First line of most rows, so that the rule "required signatures need a key" stays out of the way. */
const UNSIGNED = 'signature: {required: false}\n';
const readKeyFile = (path: string): Promise<string> => readFile(path, 'utf8');
const load = (text: string, file = FILE): Promise<LoadResult> => loadConfig(text, file, { readKeyFile });
const NEEDS_KEY = 'signature.required is true, so at least one key is needed (or set required: false)';

/** "Billion laughs": ten levels of nine aliases each would expand to 9**10 strings. */
function aliasBomb(): string {
  const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x]'];
  for (let level = 1; level < 10; level++) lines.push(`l${level}: &l${level} [${Array(9).fill(`*l${level - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

interface Row {
  name: string;
  text: string;
  /** The printed problems, in order; a RegExp where the text comes from OpenSSL and varies with it. */
  problems: (string | RegExp)[];
}

const ROWS: Row[] = [
  { name: 'YAML syntax error: an unclosed flow list', text: 'signature:\n  keys: [a.pub\n', problems: [`${FILE}:3:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`] },
  { name: 'YAML syntax error: bad indentation', text: `${UNSIGNED}  search: {}\n`, problems: [`${FILE}:2:1: YAML: All mapping items must start at the same column`] },
  { name: 'duplicate key', text: 'signature:\n  required: false\n  required: true\n', problems: [`${FILE}:3:3: YAML: Map keys must be unique`] },
  { name: 'unknown top-level key, close to a known one', text: `${UNSIGNED}serach: {}\n`, problems: [`${FILE}:2:1 serach: unknown key "serach": did you mean "search"?`] },
  { name: 'unknown key differing only in case', text: `${UNSIGNED}Media: {}\n`, problems: [`${FILE}:2:1 Media: unknown key "Media": did you mean "media"?`] },
  { name: 'unknown nested key, close to a known one', text: `${UNSIGNED}search:\n  max_dept: 3\n`, problems: [`${FILE}:3:3 search.max_dept: unknown key "max_dept": did you mean "max_depth"?`] },
  {
    name: 'unknown key inside a list item',
    text: `${UNSIGNED}media:\n  usb:\n    - vendor_id: '0781'\n      vendr_id: '0781'\n`,
    problems: [`${FILE}:5:7 media.usb[0].vendr_id: unknown key "vendr_id": did you mean "vendor_id"?`],
  },
  {
    name: 'unknown top-level key far from any known one: the known keys are listed',
    text: `${UNSIGNED}colour: blue\n`,
    problems: [`${FILE}:2:1 colour: unknown key "colour": known keys here: version, device, signature, artifacts, versioning, selection, search, media, state, reboot, client, health, feedback, logging, report, diagnostics`],
  },
  {
    name: 'unknown nested key far from any known one',
    text: 'signature:\n  required: false\n  trust: all\n',
    problems: [`${FILE}:3:3 signature.trust: unknown key "trust": known keys here: required, keys, allow_augmented`],
  },
  { name: 'a string for a boolean', text: 'signature:\n  required: "no"\n', problems: [`${FILE}:2:13 signature.required: expected true or false, got string "no"`] },
  { name: 'a map for a list', text: `${UNSIGNED}search:\n  paths: {updates: "*.mender"}\n`, problems: [`${FILE}:3:10 search.paths: expected a list, got a map`] },
  { name: 'a number for a string', text: `${UNSIGNED}versioning:\n  provide: 5\n`, problems: [`${FILE}:3:12 versioning.provide: expected a string, got number 5`] },
  { name: 'a list for a map', text: `${UNSIGNED}selection: [first-path]\n`, problems: [`${FILE}:2:12 selection: expected a map of keys, got a list`] },
  { name: 'the whole file is a scalar', text: 'hello\n', problems: [`${FILE}:1:1: expected a map of keys, got string "hello"`] },
  { name: 'a value outside an enum', text: `${UNSIGNED}selection: {on_tie: random}\n`, problems: [`${FILE}:2:21 selection.on_tie: must be "refuse" or "first-path", got string "random"`] },
  { name: 'an unknown format version', text: `version: 2\n${UNSIGNED}`, problems: [`${FILE}:1:10 version: must be 1, got number 2`] },
  { name: 'max_depth above 16', text: `${UNSIGNED}search:\n  max_depth: 17\n`, problems: [`${FILE}:3:14 search.max_depth: must be at most 16, got number 17`] },
  { name: 'max_entries 0', text: `${UNSIGNED}search:\n  max_entries: 0\n`, problems: [`${FILE}:3:16 search.max_entries: must be at least 1, got number 0`] },
  { name: 'a fractional max_depth', text: `${UNSIGNED}search:\n  max_depth: 1.5\n`, problems: [`${FILE}:3:14 search.max_depth: expected a whole number, got number 1.5`] },
  {
    name: 'a duration with a spelled-out unit',
    text: `${UNSIGNED}search:\n  timeout: 30 sec\n`,
    problems: [`${FILE}:3:12 search.timeout: "30 sec" is not a duration: write a number with a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m`],
  },
  { name: 'a timeout of zero', text: `${UNSIGNED}search:\n  timeout: 0s\n`, problems: [`${FILE}:3:12 search.timeout: must be at least 1s`] },
  { name: 'a duration without a unit', text: `${UNSIGNED}search:\n  timeout: 30\n`, problems: [`${FILE}:3:12 search.timeout: expected a string, got number 30`] },
  {
    name: 'a size in words',
    text: `${UNSIGNED}artifacts:\n  max_size: 8 gigs\n`,
    problems: [`${FILE}:3:13 artifacts.max_size: "8 gigs" is not a size: write bytes or a number with a unit (KiB, MiB, GiB, TiB, kB, MB, GB, TB), e.g. 8GiB`],
  },
  { name: 'a negative size', text: `${UNSIGNED}artifacts:\n  max_size: -1\n`, problems: [`${FILE}:3:13 artifacts.max_size: -1 is negative: a size is 0 or more bytes`] },
  { name: 'a fractional byte count', text: `${UNSIGNED}artifacts:\n  max_size: 1.5\n`, problems: [`${FILE}:3:13 artifacts.max_size: 1.5 is not a whole number of bytes`] },
  {
    name: 'a pattern that does not compile',
    text: `${UNSIGNED}versioning:\n  pattern: '(\\d+'\n`,
    problems: [`${FILE}:3:12 versioning.pattern: not a valid regular expression for RE2: missing closing ): \`(\\d+\``],
  },
  {
    name: 'USB ids that are not 4 hex digits',
    text: `${UNSIGNED}media:\n  usb:\n    - vendor_id: '781'\n      product_id: 55g1\n    - vendor_id: 0781\n`,
    problems: [
      `${FILE}:4:18 media.usb[0].vendor_id: must be 4 hexadecimal digits, as lsusb prints them (e.g. 0781)`,
      `${FILE}:5:19 media.usb[0].product_id: must be 4 hexadecimal digits, as lsusb prints them (e.g. 0781)`,
      // Unquoted, YAML reads 0781 as the number 781.
      `${FILE}:6:18 media.usb[1].vendor_id: expected a string, got number 781`,
    ],
  },
  { name: 'an empty USB match', text: `${UNSIGNED}media:\n  usb: [{}]\n`, problems: [`${FILE}:3:9 media.usb[0]: name at least one of vendor_id, product_id, serial`] },
  { name: 'a relative media root', text: `${UNSIGNED}media:\n  roots: [/media, run/media]\n`, problems: [`${FILE}:3:19 media.roots[1]: must be an absolute path (start with /)`] },
  {
    name: 'search paths that leave the stick',
    text: `${UNSIGNED}search:\n  paths:\n    - /updates/*.mender\n    - updates/../../etc/*.mender\n    - ..\n`,
    problems: [
      `${FILE}:4:7 search.paths[0]: must be relative to the root of the stick (no leading /)`,
      `${FILE}:5:7 search.paths[1]: must not contain .. (it would leave the stick)`,
      `${FILE}:6:7 search.paths[2]: must not contain .. (it would leave the stick)`,
    ],
  },
  {
    name: 'a report folder that is a path, hidden or leaves the stick',
    text: `${UNSIGNED}report:\n  folder: ../etc\n`,
    problems: [`${FILE}:3:11 report.folder: must be one folder name of letters, digits, ".", "_" and "-" (at most 64, not starting with a dot)`],
  },
  { name: 'no search path at all', text: `${UNSIGNED}search:\n  paths: []\n`, problems: [`${FILE}:3:10 search.paths: must list at least one glob`] },
  {
    name: 'a key file that does not exist',
    text: 'signature:\n  keys: [/nonexistent/release.pub]\n',
    problems: [`${FILE}:2:10 signature.keys[0]: key file /nonexistent/release.pub: ENOENT: no such file or directory, open '/nonexistent/release.pub'`],
  },
  {
    name: 'a key file that is not a key',
    text: `signature:\n  keys: [${FIXTURES}make-fixtures.sh]\n`,
    problems: [new RegExp(`^${FILE}:2:10 signature\\.keys\\[0\\]: key file ${FIXTURES}make-fixtures\\.sh: not a PEM public key \\(.+\\)$`)],
  },
  {
    name: 'a private key instead of the public one',
    text: `signature:\n  keys: [${KEYS}ec-p256.key]\n`,
    problems: [`${FILE}:2:10 signature.keys[0]: key file ${KEYS}ec-p256.key: is a private key; give the public key (openssl pkey -pubout)`],
  },
  {
    name: 'an RSA key of 1024 bits',
    text: `signature:\n  keys:\n    - ${KEYS}ec-p256.pub\n    - ${KEYS}rsa1024-weak.pub\n`,
    problems: [`${FILE}:4:7 signature.keys[1]: key file ${KEYS}rsa1024-weak.pub: RSA key of 1024 bits; at least 2048 are required`],
  },
  {
    name: 'an EC key on P-384',
    text: `signature:\n  keys: [${KEYS}ec-p384.pub]\n`,
    problems: [`${FILE}:2:10 signature.keys[0]: key file ${KEYS}ec-p384.pub: EC key on curve secp384r1; only P-256 (prime256v1) is supported`],
  },
  { name: 'signatures required, no keys', text: 'signature:\n  required: true\n', problems: [`${FILE}:2:3 signature.keys: ${NEEDS_KEY}`] },
  { name: 'signatures required, an empty key list', text: 'signature:\n  keys: []\n', problems: [`${FILE}:2:9 signature.keys: ${NEEDS_KEY}`] },
  { name: 'an empty file: all defaults, so a key is missing', text: '', problems: [`${FILE}:1:1 signature.keys: ${NEEDS_KEY}`] },
  { name: 'a file of comments only', text: '# nothing set yet\n', problems: [`${FILE}:1:1 signature.keys: ${NEEDS_KEY}`] },
  {
    name: 'several problems at once, from the schema and the key files, sorted by line',
    text: 'search:\n  max_depth: 99\nsignature:\n  keys: [/nonexistent/a.pub]\nartifacts:\n  max_size: lots\n  payload_types: []\nsignatur: {}\n',
    problems: [
      `${FILE}:2:14 search.max_depth: must be at most 16, got number 99`,
      `${FILE}:4:10 signature.keys[0]: key file /nonexistent/a.pub: ENOENT: no such file or directory, open '/nonexistent/a.pub'`,
      `${FILE}:6:13 artifacts.max_size: "lots" is not a size: write bytes or a number with a unit (KiB, MiB, GiB, TiB, kB, MB, GB, TB), e.g. 8GiB`,
      `${FILE}:7:18 artifacts.payload_types: must list at least one payload type`,
      `${FILE}:8:1 signatur: unknown key "signatur": did you mean "signature"?`,
    ],
  },
  { name: 'an alias bomb', text: aliasBomb(), problems: [`${FILE}:1:1: YAML: Excessive alias count indicates a resource exhaustion attack`] },
];

describe('loadConfig: problems', () => {
  for (const row of ROWS) {
    it(row.name, async () => {
      const result = await load(row.text);
      assert.ok(!result.ok, 'the file is refused');
      const printed = result.problems.map(formatProblem);
      assert.equal(printed.length, row.problems.length, printed.join('\n'));
      row.problems.forEach((want, i) => (typeof want === 'string' ? assert.equal(printed[i], want) : assert.match(printed[i] ?? '', want)));
    });
  }
});

/** Every default, as the schema documents them; only `signature` differs per test. */
const DEFAULTS: Omit<Config, 'signature'> = {
  version: 1,
  device: { device_type_file: '/var/lib/mender/device_type' },
  artifacts: { allow: ['*'], deny: [], payload_types: ['rootfs-image'], max_size: 8589934592, retry_failed: false },
  versioning: { source: 'name', provide: 'rootfs-image.version', scheme: 'dotted', allow_downgrade: false, allow_reinstall: false },
  selection: { on_tie: 'refuse' },
  search: { paths: ['*.mender', 'updates/*.mender'], max_depth: 2, max_entries: 10000, timeout: 60000 },
  media: { roots: ['/run/usb-updater/media'], filesystems: ['vfat', 'exfat', 'ext4', 'ext3', 'ext2', 'ntfs3', 'iso9660', 'udf'], allow_loop_devices: false, labels: [], uuids: [], usb: [], mount_timeout: 15000 },
  state: { dir: '/data/usb-updater' },
  reboot: { mode: 'immediate', delay: 10000, command: ['systemctl', '--no-block', 'reboot'], timeout: 60000 },
  client: { timeout: 300000, stall_timeout: 300000 },
  health: { deadline: 300000, checks: [] },
  feedback: { sysfs_root: '/sys/class/leds', leds: [], hooks: [], console: null },
  logging: { format: 'auto', level: 'info', file: null },
  report: { enabled: true, folder: 'usb-updater-reports' },
  diagnostics: { enabled: false, keys: [], max_size: 1048576, log_lines: 1000, max_validity: 604800000 },
};

async function loaded(text: string, file = FILE): Promise<Extract<LoadResult, { ok: true }>['loaded']> {
  const result = await load(text, file);
  assert.ok(result.ok, result.ok ? '' : result.problems.map(formatProblem).join('\n'));
  return result.loaded;
}

describe('loadConfig: valid files', () => {
  it('fills every default into a minimal file and reads its key', async () => {
    const { file, config, keys } = await loaded(`signature:\n  keys: [${KEYS}ec-p256.pub]\n`);
    assert.equal(file, FILE);
    assert.deepEqual(config, { ...DEFAULTS, signature: { required: true, keys: [`${KEYS}ec-p256.pub`], allow_augmented: false } });
    assert.deepEqual(
      keys.map((k) => [k.source, k.key.asymmetricKeyType]),
      [[`${KEYS}ec-p256.pub`, 'ec']],
    );
  });

  it('a section written with every key commented out takes its defaults', async () => {
    const { config } = await loaded(`${UNSIGNED}search:\n  # max_depth: 3\n`);
    assert.deepEqual(config.search, DEFAULTS.search);
  });

  it('accepts unsigned operation with no keys at all', async () => {
    const { config, keys } = await loaded(UNSIGNED);
    assert.deepEqual(config, { ...DEFAULTS, signature: { required: false, keys: [], allow_augmented: false } });
    assert.deepEqual(keys, []);
  });

  it('normalizes units: 1h30m is 5400000 ms, 8GiB is 8589934592 bytes, 1.5 MB is 1500000', async () => {
    for (const [text, pick, want] of [
      ['search: {timeout: 1h30m}', (c: Config) => c.search.timeout, 5_400_000],
      ['search: {timeout: 1500ms}', (c: Config) => c.search.timeout, 1500],
      ['artifacts: {max_size: 8GiB}', (c: Config) => c.artifacts.max_size, 8_589_934_592],
      ['artifacts: {max_size: 1.5 MB}', (c: Config) => c.artifacts.max_size, 1_500_000],
      ['artifacts: {max_size: 4096}', (c: Config) => c.artifacts.max_size, 4096],
    ] as const) {
      const { config } = await loaded(`${UNSIGNED}${text}\n`);
      assert.equal(pick(config), want, text);
    }
  });

  it('resolves a relative key path against the folder of the config file', async () => {
    const asked: string[] = [];
    const result = await loadConfig('signature:\n  keys: [keys/rsa3072.pub, ./keys/ec-p256.pub]\n', `${FIXTURES}config.yaml`, {
      readKeyFile: (path) => {
        asked.push(path);
        return readKeyFile(path);
      },
    });
    assert.ok(result.ok);
    assert.deepEqual(asked, [`${KEYS}rsa3072.pub`, `${KEYS}ec-p256.pub`]);
    assert.deepEqual(
      result.loaded.keys.map((k) => k.source),
      [`${KEYS}rsa3072.pub`, `${KEYS}ec-p256.pub`],
    );
  });

  it('allows a few aliases', async () => {
    const { config } = await loaded(`${UNSIGNED}media:\n  labels: &names [UPDATE, SERVICE]\n  uuids: *names\n`);
    assert.deepEqual([config.media.labels, config.media.uuids], [['UPDATE', 'SERVICE'], ['UPDATE', 'SERVICE']]);
  });
});

describe('formatProblem', () => {
  it('prints FILE:LINE:COL key.path: message, and no key path for a syntax error', () => {
    assert.equal(formatProblem({ file: 'c.yaml', line: 3, col: 7, path: 'media.usb[0].serial', message: 'must not be empty' }), 'c.yaml:3:7 media.usb[0].serial: must not be empty');
    assert.equal(formatProblem({ file: 'c.yaml', line: 1, col: 2, path: '', message: 'YAML: bad' }), 'c.yaml:1:2: YAML: bad');
  });
});
