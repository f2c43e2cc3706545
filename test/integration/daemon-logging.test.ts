// The daemon's log format as a process sees it (issue 7): journal lines when JOURNAL_STREAM names
// its stderr, as systemd sets it; JSON when the variable was inherited but stderr goes elsewhere;
// --log-format over both; and the config's logging section (level, file) applied once it is read.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN } from '../support/skip/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'usb-updater-test-daemon-logging-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs the daemon with stderr in a file until it follows media, then stops it; returns stderr. */
async function daemonStderr(name: string, args: string[], env: (stderrId: string) => Record<string, string>): Promise<string> {
  const path = join(root, `${name}.stderr`);
  const fd = openSync(path, 'w');
  const { dev, ino } = fstatSync(fd);
  const child = spawn(process.execPath, [BIN, 'daemon', '--media-root', '/nonexistent-media-root', '--usb-module', 'usb-detection-not-installed', ...args], {
    stdio: ['ignore', 'ignore', fd],
    env: { ...process.env, ...env(`${dev}:${ino}`) },
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let tries = 0; tries < 200 && !readFileSync(path, 'utf8').includes('following media'); tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, readFileSync(path, 'utf8'));
  return readFileSync(path, 'utf8');
}

describe('daemon log format', () => {
  it('journal lines when JOURNAL_STREAM names its stderr', async () => {
    const stderr = await daemonStderr('journal', [], (id) => ({ JOURNAL_STREAM: id }));
    assert.match(stderr, /^<6>following media roots=\["\/nonexistent-media-root"\]/m);
    assert.match(stderr, /^<6>stopping reason=SIGTERM$/m);
    assert.ok(!stderr.includes("\x1b") && !stderr.includes('"time"'), stderr);
  });

  it('JSON lines when JOURNAL_STREAM was inherited but names another stream', async () => {
    const stderr = await daemonStderr('inherited', [], () => ({ JOURNAL_STREAM: '0:1' }));
    assert.match(stderr, /^\{"time":"[^"]+","level":"info","message":"stopping","reason":"SIGTERM"\}$/m);
  });

  it('--log-format wins over the environment and the config; the config adds its log file', async () => {
    const config = join(root, 'config.yaml');
    const file = join(root, 'daemon.log');
    writeFileSync(config, `signature:\n  required: false\nlogging:\n  format: json\n  file:\n    path: ${file}\n`);
    const stderr = await daemonStderr('flag', ['--log-format', 'human', '-c', config], (id) => ({ JOURNAL_STREAM: id }));
    assert.match(stderr, /^\S+ INFO {2}stopping reason=SIGTERM$/m);
    // The file is opened once the config is read: the lines from then on, as JSON.
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { message: string; reason?: string });
    assert.ok(lines.some((line) => line.message === 'stopping' && line.reason === 'SIGTERM'), 'the last lines reached the file before the exit');
    assert.ok(lines.some((line) => line.message === 'following media'));
  });
});
