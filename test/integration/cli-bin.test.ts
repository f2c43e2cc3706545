// The installed executable, run as a separate process the way users and scripts run it.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { ARTIFACTS, BIN, artifact } from '../support/skip/fixtures.js';

const run = (args: string[], input?: Buffer) => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });

describe('usb-updater executable', () => {
  it('prints help and exits 0', () => {
    const result = run(['--help']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /Usage: usb-updater/);
    assert.match(result.stdout, /inspect/);
  });

  it('inspects a file and reads from a pipe', () => {
    const file = run(['inspect', '--verify', `${ARTIFACTS}rootfs-gzip-rsa.mender`]);
    assert.equal(file.status, 0, file.stderr);
    assert.match(file.stdout, /every file streamed and matched its checksum/);
    const pipe = run(['inspect', '--json', '-'], artifact('v2-rootfs-none-rsa.mender'));
    assert.equal(pipe.status, 0, pipe.stderr);
    assert.equal((JSON.parse(pipe.stdout) as { name: string }).name, 'legacy-1.1');
  });

  it('a reader that closes its end early (| head -1) ends nothing: no EPIPE stack, exit 0', async () => {
    // The same as `usb-updater --help | head -1`: the pipe is closed before the output is written.
    const child = spawn(process.execPath, [BIN, 'config', 'check', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const [code] = await once(child, 'close') as [number | null];
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('exits 1 on a damaged artifact with the error on stderr only', () => {
    const result = run(['inspect', '-'], artifact('rootfs-gzip-rsa.mender').subarray(0, 2500));
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^usb-updater: error ARTIFACT_TRUNCATED: /);
  });
});
