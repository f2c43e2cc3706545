// Config loader properties on files fast-check writes from every section and key: a valid file
// loads, its values come through (sizes in bytes, durations in ms), and the loaded config written
// back as YAML loads to an equal config. Any text at all ends in a config or in positioned problems.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadConfig, type Config, type LoadOptions } from '../../../src/policy/index.js';
import { keyPem } from '../../support/skip/fixtures.js';

const FILE = '/etc/usb-updater/config.yaml';
const KEY_PATHS = ['/etc/usb-updater/keys/a.pem', '/etc/usb-updater/keys/b.pem'];
const options: LoadOptions = {
  readKeyFile: (path) => (KEY_PATHS.includes(path) ? Promise.resolve(keyPem('ec-p256.pub')) : Promise.reject(new Error(`${path}: no such file`))),
};

const word = fc.string({ minLength: 1, maxLength: 10 });
const absolute = fc.array(fc.stringMatching(/^[a-z0-9_.-]{1,8}$/), { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
const glob = fc.stringMatching(/^[a-z*?]{1,6}(\/[a-z*?]{1,6})?\.mender$/);
const hex4 = fc.stringMatching(/^[0-9a-f]{4}$/);
const durationText = fc.tuple(fc.integer({ min: 1, max: 90 }), fc.constantFrom('s', 'm', 'h')).map(([n, unit]) => `${n}${unit}`);
const sizeValue = fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.tuple(fc.integer({ min: 1, max: 64 }), fc.constantFrom('KiB', 'MiB', 'GiB', 'MB')).map(([n, u]) => `${n}${u}`));
const partial = <T extends object>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<Partial<T>> =>
  fc.record(shape, { requiredKeys: [] }) as unknown as fc.Arbitrary<Partial<T>>;

/** A valid config file, as an object that YAML writes out; any key may be left to its default. */
const configFile = fc
  .record({
    signature: partial({ keys: fc.subarray(KEY_PATHS, { minLength: 1 }), allow_augmented: fc.boolean() }),
    artifacts: partial({
      allow: fc.array(word, { maxLength: 3 }), deny: fc.array(word, { maxLength: 3 }), payload_types: fc.array(word, { minLength: 1, maxLength: 3 }),
      max_size: sizeValue, retry_failed: fc.boolean(),
    }),
    versioning: partial({
      source: fc.constantFrom('name', 'provide'), provide: word, pattern: fc.constantFrom('(\\d+)$', '(?<version>[0-9.]+)', 'v.*'),
      scheme: fc.constantFrom('dotted', 'semver'), allow_downgrade: fc.boolean(), allow_reinstall: fc.boolean(),
    }),
    selection: partial({ on_tie: fc.constantFrom('refuse', 'first-path') }),
    search: partial({ paths: fc.array(glob, { minLength: 1, maxLength: 3 }), max_depth: fc.integer({ min: 0, max: 16 }), max_entries: fc.integer({ min: 1, max: 1_000_000 }), timeout: durationText }),
    media: partial({
      roots: fc.array(absolute, { maxLength: 2 }), filesystems: fc.array(word, { minLength: 1, maxLength: 3 }), allow_loop_devices: fc.boolean(),
      labels: fc.array(word, { maxLength: 2 }), uuids: fc.array(word, { maxLength: 2 }),
      usb: fc.array(partial({ vendor_id: hex4, product_id: hex4, serial: word }).filter((m) => Object.keys(m).length > 0), { maxLength: 2 }),
      mount_timeout: durationText,
    }),
    state: partial({ dir: absolute }),
    reboot: partial({ mode: fc.constantFrom('immediate', 'delay', 'on-removal', 'never'), delay: durationText, command: fc.array(word, { minLength: 1, maxLength: 3 }) }),
    diagnostics: partial({ enabled: fc.boolean(), max_size: fc.integer({ min: 64, max: 1024 }).map((n) => `${n}KiB`), log_lines: fc.integer({ min: 0, max: 100_000 }), max_validity: durationText }),
  }, { requiredKeys: ['signature'] })
  .filter((c) => (c.signature.keys?.length ?? 0) > 0);

async function load(text: string): Promise<Config> {
  const result = await loadConfig(text, FILE, options);
  assert.ok(result.ok, result.ok ? '' : result.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`).join('\n'));
  return result.loaded.config;
}

/** The loaded config as a file again: durations back to text (the schema takes them only as text). */
function dump(config: Config): string {
  const ms = (value: number): string => `${value}ms`;
  const health = { deadline: ms(config.health.deadline), checks: config.health.checks.map((c) => ({ ...c, timeout: ms(c.timeout), interval: ms(c.interval) })) };
  return stringify({ ...config, search: { ...config.search, timeout: ms(config.search.timeout) }, media: { ...config.media, mount_timeout: ms(config.media.mount_timeout) }, reboot: { ...config.reboot, delay: ms(config.reboot.delay), timeout: ms(config.reboot.timeout) }, client: { ...config.client, timeout: ms(config.client.timeout), stall_timeout: ms(config.client.stall_timeout) }, health, diagnostics: { ...config.diagnostics, max_validity: ms(config.diagnostics.max_validity) } });
}

const DURATION_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

describe('config loader properties', () => {
  it('a valid file loads with its values, and the loaded config written back loads equal', async () => {
    await fc.assert(
      fc.asyncProperty(configFile, async (file) => {
        const config = await load(stringify(file));
        assert.deepEqual(config.signature.keys, file.signature.keys);
        if (file.search?.max_depth !== undefined) assert.equal(config.search.max_depth, file.search.max_depth);
        if (file.reboot?.delay !== undefined) {
          const [, n, unit] = /^(\d+)(\w)$/.exec(file.reboot.delay) ?? [];
          assert.equal(config.reboot.delay, Number(n) * (DURATION_MS[unit as string] as number));
        }
        if (typeof file.artifacts?.max_size === 'number') assert.equal(config.artifacts.max_size, file.artifacts.max_size);
        assert.deepEqual(await load(dump(config)), config);
      }),
      { numRuns: 100 },
    );
  });

  it('any text ends in a config or in problems that each have a position and a message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), configFile.map((c) => stringify(c)).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n)))), async (text) => {
        const result = await loadConfig(text, FILE, options);
        if (result.ok) return;
        assert.ok(result.problems.length > 0);
        for (const p of result.problems) {
          assert.ok(p.line >= 1 && p.col >= 1, `${p.line}:${p.col}`);
          assert.notEqual(p.message, '');
        }
      }),
      { numRuns: 200 },
    );
  });
});
