// The linear flow-nesting pre-scan of config YAML (src/policy/yaml-depth.ts): it must agree with
// the real nesting of any YAML flow text (JSON is YAML: brackets inside strings, escaped quotes),
// pass every config the project ships, and refuse a file of brackets with its position, before the
// `yaml` parser spends seconds on it.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../../src/policy/index.js';
import { flowDepthExceeded, MAX_FLOW_DEPTH } from '../../../src/policy/yaml-depth.js';
import { REPO } from '../../support/skip/fixtures.js';

/** The nesting of a JSON value: 0 for a scalar, 1 for [] or {}. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const noKeys = { readKeyFile: (): Promise<string> => Promise.reject(new Error('no key files here')) };

describe('flowDepthExceeded', () => {
  it('agrees with the real nesting of any JSON text (strings holding brackets and quotes included)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), (value, max) => {
        const text = JSON.stringify(value);
        assert.equal(flowDepthExceeded(text, max) === null, depthOf(value) <= max, text);
      }),
      { numRuns: 500 },
    );
  });

  it('every config the project ships is within the bound', () => {
    const files = ['config/config.yaml', ...readdirSync(`${REPO}config/examples`).map((f) => `config/examples/${f}`)];
    for (const file of files) assert.equal(flowDepthExceeded(readFileSync(`${REPO}${file}`, 'utf8')), null, file);
  });

  it('brackets in comments, quoted scalars and plain words do not count', () => {
    const brackets = '['.repeat(100);
    assert.equal(flowDepthExceeded(`# ${brackets}\nallow: ["${brackets}", '${brackets}']\n`), null);
    assert.equal(flowDepthExceeded(`deny: ['it''s ${brackets}', "a \\" ${brackets}"]\n`), null);
    assert.equal(flowDepthExceeded(`allow: [ don't ]\nx: "${brackets}"\n`), null);
  });

  it(`${MAX_FLOW_DEPTH} levels pass, ${MAX_FLOW_DEPTH + 1} are refused at the bracket that goes past`, () => {
    assert.equal(flowDepthExceeded(`a: 1\nx: ${'['.repeat(MAX_FLOW_DEPTH)}${']'.repeat(MAX_FLOW_DEPTH)}\n`), null);
    assert.deepEqual(flowDepthExceeded(`a: 1\nx: ${'{"k": '.repeat(MAX_FLOW_DEPTH + 1)}1${'}'.repeat(MAX_FLOW_DEPTH + 1)}\n`), { line: 2, col: 4 + 6 * MAX_FLOW_DEPTH });
  });
});

describe('loadConfig and hostile YAML', () => {
  it('60,000 levels (the fuzzer\'s finding) is one problem naming the place, not a stack overflow', async () => {
    const result = await loadConfig(`signature:\n  required: false\nzz: ${'['.repeat(60_000)}\n`, 'c.yaml', noKeys);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.deepEqual(result.problems, [{ file: 'c.yaml', line: 3, col: 5 + MAX_FLOW_DEPTH, path: '', message: `YAML: nested deeper than ${MAX_FLOW_DEPTH} levels of [ ] and { }; a config needs a few` }]);
  });

  it('a config nested to the bound still loads and is checked by the schema as before', async () => {
    const result = await loadConfig(`signature:\n  required: false\nartifacts:\n  allow: ${'['.repeat(3)}"a"${']'.repeat(3)}\n`, 'c.yaml', noKeys);
    assert.ok(!result.ok);
    assert.match(result.problems[0]?.message ?? '', /artifacts|allow|string|list/i);
    assert.doesNotMatch(result.problems[0]?.message ?? '', /nested deeper/);
  });

  it('a versioning.pattern past 256 characters is refused for its length alone (never compiled: 32 KiB of pattern cost most of a second)', async () => {
    const result = await loadConfig(`signature:\n  required: false\nversioning:\n  pattern: '(${'1.'.repeat(16_000)}'\n`, 'c.yaml', noKeys);
    assert.ok(!result.ok);
    assert.deepEqual(result.problems.map((p) => p.message), ['must be at most 256 characters']);
  });

  it('a map used as a key is an unknown key, with no Node warning on stderr (the fuzzer saw the yaml package warn)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const result = await loadConfig('signature:\n  required: false\n? {a: {b: 1}}\n: x\n', 'c.yaml', noKeys);
      assert.ok(!result.ok);
      assert.match(result.problems[0]?.message ?? '', /^unknown key "\{ a: \{ b: 1 \} \}"/);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
