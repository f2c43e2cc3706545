// Issue 15 through the real executable, with files made here: a stick holding a good artifact beside
// a deeply nested one, a 2 GiB sparse file of zeros, a FIFO, a socket, a bootstrap artifact and an
// unreadable file is still decided (each bad file its own reason, the good one selected) in seconds;
// inspect refuses a FIFO at once and ends on SIGINT; a FIFO named as a key, a journal, a ledger or
// a lock is refused, never waited on; bootstrap artifacts are read as `mender-artifact read` reads
// them; --json prints JSON after an internal error.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from '../../src/artifact/index.js';
import { UpdaterError } from '../../src/errors/index.js';
import { acquireDeploymentLock } from '../../src/system/state/deployment-lock.js';
import { BIN, hasTool, needsSetUp, needsTool } from '../support/skip/fixtures.js';
import { runCli } from '../support/harness/run-cli.js';

const skip = needsTool('mender-artifact', 'mender-artifact');
const TIMEOUT_MS = 20_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(args: string[], prefix: string[] = []): Run {
  const started = Date.now();
  const [cmd, ...rest] = prefix.length > 0 ? [...prefix, process.execPath] : [process.execPath];
  const result = spawnSync(cmd, [...rest, BIN, ...args], { encoding: 'utf8', timeout: TIMEOUT_MS });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

interface CheckJson {
  outcome: string;
  selected: string | null;
  candidates: { path: string; verdict: string; reasons: { code: string; message: string }[] }[];
}

describe('issue 15: hostile files through the CLI', { skip }, () => {
  let work = '';
  let stick = '';
  let config = '';
  let socket: Server | null = null;

  const write = (kind: string, name: string, out: string, extra: string[] = []): void => {
    const args = kind === 'bootstrap-artifact'
      ? ['write', kind, '-n', name, '-t', 'dev-a', '-o', out, '--no-progress', ...extra]
      : ['write', kind, '-n', name, '-t', 'dev-a', '-f', join(work, 'rootfs.img'), '-o', out, ...(kind === 'module-image' ? [] : ['--no-progress']), ...extra];
    execFileSync('mender-artifact', args, { stdio: 'pipe' });
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'issue-15-'));
    stick = join(work, 'stick');
    mkdirSync(stick);
    writeFileSync(join(work, 'rootfs.img'), Buffer.alloc(64 * 1024, 7));
    write('rootfs-image', 'product-1.4.0', join(stick, 'a-good.mender'));
    // meta-data nested 5,000 levels: mender-artifact writes it as it is.
    const deep = `${'{"a":'.repeat(4999)}{}${'}'.repeat(4999)}`;
    writeFileSync(join(work, 'deep.json'), deep);
    write('module-image', 'product-1.5.0', join(stick, 'b-deep.mender'), ['-T', 'script', '-m', join(work, 'deep.json')]);
    writeFileSync(join(stick, 'c-zeros.mender'), '');
    truncateSync(join(stick, 'c-zeros.mender'), 2 * 1024 ** 3); // sparse: costs no disk
    execFileSync('mkfifo', [join(stick, 'd-fifo.mender')]);
    socket = createServer();
    await new Promise<void>((resolve) => socket?.listen(join(stick, 'e-socket.mender'), resolve));
    write('bootstrap-artifact', 'product-1.6.0', join(stick, 'f-bootstrap.mender'));
    config = join(work, 'config.yaml');
    writeFileSync(config, 'signature:\n  required: false\nversioning:\n  pattern: "product-(\\\\d+\\\\.\\\\d+\\\\.\\\\d+)"\n');
  });

  after(async () => {
    await new Promise<void>((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
    rmSync(work, { recursive: true, force: true });
  });

  it('check: every bad file is its own reason, the good one is selected, in seconds', () => {
    const result = run(['check', '--json', '-c', config, '--device-type', 'dev-a', '--provides', 'artifact_name=product-1.0.0', stick]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.ms < 10_000, `${result.ms} ms`);
    const report = JSON.parse(result.stdout) as CheckJson;
    assert.equal(report.selected, join(stick, 'a-good.mender'));
    const reasons = Object.fromEntries(report.candidates.map((c) => [c.path.slice(stick.length + 1), c.reasons.map((r) => `${r.code} ${r.message}`).join('; ')]));
    assert.match(reasons['b-deep.mender'] ?? '', /^INVALID_ARTIFACT ARTIFACT_TOO_LARGE: .*meta-data: nested deeper than 32 levels/);
    assert.match(reasons['c-zeros.mender'] ?? '', /^INVALID_ARTIFACT ARTIFACT_NOT_TAR: .*no tar member/);
    assert.match(reasons['d-fifo.mender'] ?? '', /^NOT_REGULAR_FILE /);
    assert.match(reasons['e-socket.mender'] ?? '', /^NOT_REGULAR_FILE /);
    assert.match(reasons['f-bootstrap.mender'] ?? '', /^PAYLOAD_TYPE_NOT_ALLOWED .*bootstrap artifact/);
  });

  it('check as a user who may not read one file: that file is UNREADABLE, the others are decided', (t) => {
    const unreadable = join(work, 'stick-000');
    mkdirSync(unreadable);
    copyFileSync(join(stick, 'a-good.mender'), join(unreadable, 'a-good.mender'));
    copyFileSync(join(stick, 'a-good.mender'), join(unreadable, 'b-locked.mender'));
    chmodSync(join(unreadable, 'b-locked.mender'), 0o000);
    let prefix: string[] = [];
    if (process.getuid?.() === 0) {
      // Root reads mode 000 files: drop to nobody for this run (the files and the build must be
      // readable by others, as they are in a usual checkout under /tmp or /work).
      chmodSync(work, 0o755);
      const probe = hasTool('setpriv')
        ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(BIN)}); require('fs').accessSync(${JSON.stringify(config)})`])
        : null;
      const problem = probe === null ? 'running as root without setpriv to drop privileges'
        : probe.status !== 0 ? 'the build or the config is not readable by nobody (uid 65534)' : null;
      const skipped = needsSetUp(problem, 'the unreadable-candidate test');
      if (skipped !== false) return t.skip(skipped);
      prefix = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    }
    const result = run(['check', '--json', '-c', config, '--device-type', 'dev-a', '--provides', 'artifact_name=product-1.0.0', unreadable], prefix);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /EACCES.*\n\s+at /, 'no stack trace');
    const report = JSON.parse(result.stdout) as CheckJson;
    assert.equal(report.selected, join(unreadable, 'a-good.mender'));
    const locked = report.candidates.find((c) => c.path.endsWith('b-locked.mender'));
    assert.deepEqual(locked?.reasons.map((r) => r.code), ['UNREADABLE']);
  });

  it('inspect: a FIFO is refused at once (exit 3), with --json as one JSON object', () => {
    const result = run(['inspect', '--json', join(stick, 'd-fifo.mender')]);
    assert.equal(result.code, 3, result.stderr);
    assert.ok(result.ms < 5_000, `${result.ms} ms`);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    assert.equal(error.code, 'IO_ERROR');
    assert.match(error.message, /a FIFO, not a regular file/);
  });

  it('inspect: a socket and a 2 GiB file of zeros are refused in well under a second of reading', () => {
    assert.equal(run(['inspect', join(stick, 'e-socket.mender')]).code, 3);
    const zeros = run(['inspect', '--json', join(stick, 'c-zeros.mender')]);
    assert.equal(zeros.code, 1);
    assert.equal((JSON.parse(zeros.stdout) as { error: { code: string } }).error.code, 'ARTIFACT_NOT_TAR');
    assert.ok(zeros.ms < 5_000, `${zeros.ms} ms`);
  });

  it('inspect - on a pipe that never ends or never writes: ended by its bound, and by SIGINT (exit 130)', async () => {
    const zeros = spawnSync('sh', ['-c', `head -c ${LIMITS.tarSlackBytes * 64} /dev/zero | "${process.execPath}" "${BIN}" inspect -`], { encoding: 'utf8', timeout: TIMEOUT_MS });
    assert.equal(zeros.status, 1, zeros.stderr);
    assert.match(zeros.stderr, /ARTIFACT_NOT_TAR/);

    const child = spawn(process.execPath, [BIN, 'inspect', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    child.stdin.destroy();
    // A shell reports a process ended by SIGINT as 130.
    assert.ok(signal === 'SIGINT' || code === 130, `exit ${code}, signal ${signal}`);
  });

  it('a bootstrap artifact is read as mender-artifact read reads it (one payload without a type)', () => {
    const path = join(stick, 'f-bootstrap.mender');
    const theirs = execFileSync('mender-artifact', ['read', path], { encoding: 'utf8' });
    assert.match(theirs, /Type:\s+Empty type/);
    const ours = run(['inspect', '--json', '--verify', path]);
    assert.equal(ours.code, 0, ours.stderr);
    const info = JSON.parse(ours.stdout) as { name: string; payloads: { type: string | null; files: unknown[] }[] };
    assert.equal(info.name, 'product-1.6.0');
    assert.deepEqual(info.payloads.map((p) => [p.type, p.files.length]), [[null, 0]]);
    assert.match(run(['inspect', path]).stdout, /Payload 0: +\(no type: a bootstrap artifact, installs nothing\)/);
  });

  it('config check: a FIFO named as a signature key is refused at once', () => {
    const key = join(work, 'key.pem');
    execFileSync('mkfifo', [key]);
    const keyed = join(work, 'keyed.yaml');
    writeFileSync(keyed, `signature:\n  keys: [${key}]\n`);
    const result = run(['config', 'check', keyed]);
    assert.notEqual(result.code, 0);
    assert.equal(result.signal, null, 'not killed by the timeout');
    assert.match(result.stderr, /key\.pem: a FIFO, not a regular file/);
  });

  for (const file of ['journal.json', 'ledger.jsonl']) {
    it(`status: a FIFO as ${file} is STATE_CORRUPT, not a hang`, () => {
      const dir = mkdtempSync(join(work, 'state-'));
      execFileSync('mkfifo', [join(dir, file)]);
      const stateConfig = join(dir, 'config.yaml');
      writeFileSync(stateConfig, `signature:\n  required: false\nstate:\n  dir: ${dir}\n`);
      const result = run(['status', '--json', '-c', stateConfig]);
      assert.equal(result.signal, null, 'not killed by the timeout');
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { error: { code: 'STATE_CORRUPT', message: `${join(dir, file)}: not a regular file` } });
    });
  }

  it('the deployment lock: a FIFO in its place is STATE_CORRUPT, not a hang', async () => {
    const dir = mkdtempSync(join(work, 'lock-'));
    execFileSync('mkfifo', [join(dir, 'lock')]);
    await assert.rejects(acquireDeploymentLock(dir, { bootId: 'b', now: '2026-01-01T00:00:00Z' }), (err: unknown) => err instanceof UpdaterError && err.code === 'STATE_CORRUPT');
  });

  it('inspect --json: an internal error is still one JSON object on stdout', async () => {
    const broken = (async function* (): AsyncIterable<Uint8Array> {
      yield await Promise.reject(new TypeError('a planted bug'));
    })();
    // The reader turns a source error into its own code; a bug in the reader itself is planted
    // through a stdin whose iterator throws synchronously on creation.
    const hostile = { [Symbol.asyncIterator]: (): never => { throw new TypeError('a planted bug'); } };
    for (const stdin of [broken, hostile]) {
      const result = await runCli(['inspect', '--json', '-'], stdin);
      const parsed = JSON.parse(result.stdout) as { error: { code: string; message: string } };
      assert.equal(typeof parsed.error.code, 'string');
      assert.notEqual(result.code, 0);
    }
  });
});
