// The README's test command line and .ci/run must be the same line: CI proves what a new user runs.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { readDocs } from '../../support/harness/docs.js';
import { REPO } from '../../support/skip/fixtures.js';

it('.ci/run runs exactly the README test command line', () => {
  const readme = readDocs().text('README.md');
  const marker = readme.indexOf('.ci/run runs exactly this line');
  assert.ok(marker > 0, 'README marks its test command');
  const line = /```sh\n(.+)\n```/.exec(readme.slice(marker))?.[1];
  assert.ok(line?.includes('npm test'));
  const ci = readFileSync(`${REPO}.ci/run`, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  assert.equal(ci.at(-1), line);
});
