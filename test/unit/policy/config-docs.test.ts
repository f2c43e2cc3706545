// The config's documentation cannot drift from the validator: the committed JSON Schema is the
// validator's, every key is documented in config/config.yaml and config/README.md, every reason code
// in config/README.md, and the default file and every example policy are valid.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configJsonSchema, loadConfig, REASON_CODES } from '../../../src/policy/index.js';
import { configKeyRows } from '../../support/harness/config-table.js';
import { readDocs, tableRows } from '../../support/harness/docs.js';
import { KEYS, REPO } from '../../support/skip/fixtures.js';

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
}

function leafKeys(node: SchemaNode, prefix = ''): string[] {
  if (node.type !== 'object' || !node.properties) return [prefix];
  return Object.entries(node.properties).flatMap(([key, child]) => leafKeys(child, prefix === '' ? key : `${prefix}.${key}`));
}

const CONFIG = `${REPO}config/`;
const anyKeyIsValid = { readKeyFile: () => Promise.resolve(readFileSync(`${KEYS}rsa3072.pub`, 'utf8')) };

describe('config documentation', () => {
  const keys = leafKeys(configJsonSchema());

  it('config/config.schema.json is what `usb-updater config schema` prints (run npm run schema)', () => {
    const committed = JSON.parse(readFileSync(`${CONFIG}config.schema.json`, 'utf8')) as unknown;
    assert.deepEqual(committed, configJsonSchema());
  });

  it('the key table of config/README.md is the schema: every key, its default and its description', () => {
    const documented = tableRows(readDocs().text('config/README.md'), 'The config file');
    assert.deepEqual(documented, configKeyRows(), 'config/README.md is stale: regenerate the table (see test/support/config-table.ts)');
  });

  it('the reason code table of config/README.md lists every reason code with its meaning', () => {
    const documented = tableRows(readDocs().text('config/README.md'), 'Reason codes');
    assert.deepEqual(documented, Object.entries(REASON_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`));
  });

  it('every key is in config/config.yaml', () => {
    const example = readFileSync(`${CONFIG}config.yaml`, 'utf8');
    assert.ok(keys.length > 20, `found ${keys.length} keys`);
    for (const key of keys) {
      const leaf = key.slice(key.lastIndexOf('.') + 1);
      // A key without a default (versioning.pattern) is shown commented out.
      assert.match(example, new RegExp(`^\\s*(?:# )?${leaf}:`, 'm'), `config/config.yaml lacks ${key}`);
    }
  });

  it('the default config and every example policy are valid', async () => {
    const files = ['config.yaml', ...readdirSync(`${CONFIG}examples`).map((f) => `examples/${f}`)];
    assert.ok(files.length >= 5);
    for (const file of files) {
      const result = await loadConfig(readFileSync(`${CONFIG}${file}`, 'utf8'), file, anyKeyIsValid);
      assert.ok(result.ok, `${file}: ${JSON.stringify(result.ok ? null : result.problems)}`);
    }
  });

  it('the default config file states exactly the built-in defaults', async () => {
    const written = await loadConfig(readFileSync(`${CONFIG}config.yaml`, 'utf8'), 'config.yaml', anyKeyIsValid);
    const builtIn = await loadConfig('signature:\n  keys: [/etc/usb-updater/keys/artifact-verify.pem]\n', 'config.yaml', anyKeyIsValid);
    assert.ok(written.ok && builtIn.ok);
    assert.deepEqual(written.loaded.config, builtIn.loaded.config);
  });
});
