// Issue 5 (install benchmark): each command loads only what it needs. `usb-updater --version` loaded
// every command's modules (zod, yaml, chokidar, the USB monitor…) and took 0.46 s and 68 MiB against
// 0.05 s for bare Node, and install paid the same before its first byte. Issue 16: --version still
// loaded the artifact reader (tar-stream) through the media barrel, and check the whole deployment
// through the install barrel. What a command loads is read here from a module resolve hook in the
// executable's own process: no timing.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { ARTIFACTS, BIN } from '../support/skip/fixtures.js';
import { withTempDir } from '../support/harness/temp.js';

/** The packages (under node_modules) that `usb-updater ARGS` resolved, by name, and our own modules (under src/) it resolved. */
async function packagesLoaded(args: string[]): Promise<{ status: number | null; packages: Set<string>; modules: string[] }> {
  return withTempDir((dir) => {
    const log = join(dir, 'resolved.txt');
    const hooks = join(dir, 'hooks.mjs');
    const register = join(dir, 'register.mjs');
    writeFileSync(log, '');
    writeFileSync(hooks, [
      "import { appendFileSync } from 'node:fs';",
      'export async function resolve(specifier, context, next) {',
      '  const result = await next(specifier, context);',
      `  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');`,
      '  return result;',
      '}',
    ].join('\n'));
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const run = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, BIN, ...args], { encoding: 'utf8' });
    const resolved = readFileSync(log, 'utf8');
    const packages = new Set([...resolved.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1] ?? ''));
    const modules = [...resolved.matchAll(/\/dist\/src\/(\S+)\.js$/gm)].map((m) => m[1] ?? '');
    return Promise.resolve({ status: run.status, packages, modules });
  });
}

describe('issue 5: commands load only what they need', () => {
  it('--version loads the argument parser, not the policy, the watcher or any decompressor', async () => {
    const { status, packages } = await packagesLoaded(['--version']);
    assert.equal(status, 0);
    // The hook works: the parser itself was seen.
    assert.ok(packages.has('commander'), [...packages].join(' '));
    for (const heavy of ['zod', 'yaml', 'semver', 're2js', 'tar-stream', 'winston', 'rotating-file-stream', 'chokidar', 'xz-decompress', 'zstd-napi']) {
      assert.ok(!packages.has(heavy), `--version loaded ${heavy}`);
    }
  });

  it('inspect (header only) loads the tar reader, not the config, logging or watching packages', async () => {
    const { status, packages } = await packagesLoaded(['inspect', `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.equal(status, 0);
    assert.ok(packages.has('tar-stream'), [...packages].join(' '));
    for (const heavy of ['zod', 'yaml', 'semver', 're2js', 'winston', 'rotating-file-stream', 'chokidar', 'xz-decompress', 'zstd-napi']) {
      assert.ok(!packages.has(heavy), `inspect loaded ${heavy}`);
    }
  });

  it('check loads the config packages, not logging, watching or the deployment\'s state', async () => {
    const { status, packages, modules } = await packagesLoaded(['check', '-c', '/nonexistent/config.yaml', '--device-type', 'dev-a', `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.notEqual(status, 0);
    for (const needed of ['zod', 'yaml', 'tar-stream']) assert.ok(packages.has(needed), `check did not load ${needed}: ${[...packages].join(' ')}`);
    for (const heavy of ['winston', 'rotating-file-stream', 'chokidar', 'xz-decompress', 'zstd-napi']) assert.ok(!packages.has(heavy), `check loaded ${heavy}`);
    // Headers only: the preview of an install, without the client backend, the journal or the boot check.
    assert.ok(modules.includes('install/preview'), modules.join(' '));
    assert.deepEqual(modules.filter((m) => m.startsWith('state/') || m.startsWith('health/') || m === 'install/pipeline' || m === 'install/mender-client'), []);
  });

  it('install loads the policy but not the watcher nor a decompressor its artifact does not use', async () => {
    // Fails after loading (no such config), once install's own modules are in.
    const { status, packages } = await packagesLoaded(['install', '-c', '/nonexistent/config.yaml', `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.notEqual(status, 0);
    for (const needed of ['zod', 'yaml', 'tar-stream']) assert.ok(packages.has(needed), `install did not load ${needed}: ${[...packages].join(' ')}`);
    for (const heavy of ['chokidar', 'xz-decompress', 'zstd-napi']) assert.ok(!packages.has(heavy), `install loaded ${heavy}`);
  });
});
