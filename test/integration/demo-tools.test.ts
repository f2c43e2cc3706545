// `npm run demo` on a machine without its tools: it names each missing one with its Debian package,
// prints the one apt-get line to install them and exits 1, installing nothing. Not root: exit 2.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { REQUIRED_TOOLS } from '../demo/required-tools.js';
import { REPO } from '../support/skip/fixtures.js';
import { withTempDir } from '../support/harness/temp.js';

it('npm run demo explains every missing tool and installs nothing', async () => {
  await withTempDir(async (emptyPath) => {
    // An empty folder as PATH: no tool is found (node itself is run by its absolute path).
    const result = spawnSync(process.execPath, [`${REPO}dist/test/demo/demo.js`], { encoding: 'utf8', env: { PATH: emptyPath } });
    if (process.getuid?.() !== 0) {
      assert.equal(result.status, 2, result.stdout + result.stderr);
      assert.match(result.stdout, /needs root/);
      return;
    }
    assert.equal(result.status, 1, result.stdout + result.stderr);
    for (const [tool, pkg] of REQUIRED_TOOLS) assert.ok(result.stdout.includes(`  ${tool} (Debian package ${pkg})`), `${tool} in:\n${result.stdout}`);
    const packages = [...new Set(REQUIRED_TOOLS.map(([, pkg]) => pkg))].join(' ');
    assert.ok(result.stdout.includes(`  apt-get update && apt-get install -y ${packages}\n`), result.stdout);
    assert.doesNotMatch(result.stdout, /preparing/);
    await Promise.resolve();
  });
});
