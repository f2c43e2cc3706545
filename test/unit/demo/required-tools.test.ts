// The demo's tool check: every missing tool named with its Debian package, one apt-get line for
// all of them (each package once), and PATH searched for executables only.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REQUIRED_TOOLS, missingTools, onPath } from '../../demo/required-tools.js';
import { REPO } from '../../support/skip/fixtures.js';
import { withTempDir } from '../../support/harness/temp.js';

describe('demo required tools', () => {
  it('finds nothing missing when every tool is there', () => {
    assert.deepEqual(missingTools(() => true), { tools: [], aptLine: null });
  });

  it('names each missing tool with its package and installs each package once', () => {
    const present = new Set(['mender', 'mkfs.ext4', 'losetup', 'mount', 'umount', 'unshare', 'nsenter', 'setsid', 'findmnt', 'blkid', 'chroot', 'mknod']);
    const missing = missingTools((tool) => present.has(tool));
    assert.deepEqual(missing.tools, [
      { tool: 'mender-artifact', pkg: 'mender-artifact' },
      { tool: 'fw_printenv', pkg: 'libubootenv-tool' },
      { tool: 'fw_setenv', pkg: 'libubootenv-tool' },
      { tool: 'mkenvimage', pkg: 'u-boot-tools' },
    ]);
    assert.equal(missing.aptLine, 'apt-get update && apt-get install -y mender-artifact libubootenv-tool u-boot-tools');
  });

  it('lists only packages the test command line installs (or that every Debian has), so CI has all of them', () => {
    const ciLine = readFileSync(`${REPO}.ci/run`, 'utf8').trim().split('\n').at(-1) ?? '';
    const installed = /apt-get install -y ([^&]+)&&/.exec(ciLine)?.[1]?.trim().split(/\s+/) ?? [];
    assert.ok(installed.length > 0, ciLine);
    for (const [tool, pkg] of REQUIRED_TOOLS) assert.ok(installed.includes(pkg) || pkg === 'coreutils', `${tool}: ${pkg}`);
  });

  it('the README\'s demo line installs exactly the packages of the tools the demo checks for, then runs it', () => {
    const readme = readFileSync(`${REPO}README.md`, 'utf8');
    const marker = readme.indexOf('The next line is the demo command');
    assert.ok(marker > 0, 'README marks its demo command');
    const line = /```sh\n(.+)\n```/.exec(readme.slice(marker))?.[1];
    const packages = [...new Set(REQUIRED_TOOLS.map(([, pkg]) => pkg))];
    assert.equal(line, `apt-get update && apt-get install -y ${packages.join(' ')} && npm ci && npm run demo`);
  });

  it('finds executables on PATH, not other files', async () => {
    await withTempDir(async (dir) => {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
      chmodSync(join(bin, 'tool'), 0o755);
      writeFileSync(join(bin, 'data'), 'not a program');
      chmodSync(join(bin, 'data'), 0o644);
      assert.equal(onPath('tool', `/nonexistent:${bin}`), true);
      assert.equal(onPath('missing', bin), false);
      assert.equal(onPath('tool', undefined), false);
      // No execute bit at all: not a program, for root too.
      assert.equal(onPath('data', bin), false);
      await Promise.resolve();
    });
  });
});
