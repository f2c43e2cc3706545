// Issue 13: in a fresh clone, after the install and build a new user runs, `npx usb-updater --help`
// works. tsc writes dist/src/cli/bin.js without its execute bit; `npm run build` must add it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { REPO, needsSetUp } from '../../support/skip/fixtures.js';

/** Clones what is committed (HEAD): uncommitted changes are not in the clone. */
const notARepo = spawnSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).status === 0 ? null : `${REPO} is not a git repository with a commit (or git is missing)`;

// Under `npm test`, npm's own variables (npm_config_local_prefix…) point at this checkout: a new
// user's shell has none of them.
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

it('npx usb-updater --help works in a fresh clone after npm ci', { skip: needsSetUp(notARepo, 'the fresh-clone test'), timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'usb-updater-clone-'));
  const run = (command: string, args: string[], cwd = dir) => {
    const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: CLEAN_ENV });
    assert.equal(result.status, 0, `${command} ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };
  try {
    run('git', ['clone', '--quiet', REPO, dir], tmpdir());
    // --ignore-scripts leaves out what is not under test and takes minutes here: the native addons
    // (zstd-napi compiles zstd from source where no prebuilt binary can be fetched). npm ci then
    // runs the package's own `prepare` (the build), as it does without the option: so does this.
    run('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund']);
    run('npm', ['run', 'prepare']);
    assert.equal(statSync(join(dir, 'dist/src/cli/bin.js')).mode & 0o111, 0o111, 'bin.js is executable by everyone');
    const help = run('npx', ['--no-install', 'usb-updater', '--help']);
    assert.match(help, /^Usage: usb-updater \[options\] \[command\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
