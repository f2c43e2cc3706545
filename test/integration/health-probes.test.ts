// The real health probes against real things on this machine: an HTTP(S) server on 127.0.0.1 (a
// healthy answer, a 503, a redirect, one that never answers), a TCP listener and a closed port,
// commands (exit 0, exit 1, one that hangs and is killed with its children), files, and systemctl.
// No systemd runs as PID 1 here (nor in the A/B simulator), so the systemd probe runs against a
// fake `systemctl` script put first on PATH, which prints what `systemctl show` prints.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runHealthChecks, type HealthCheck, type ProbeResult } from '../../src/health/index.js';
import { configSchema } from '../../src/policy/index.js';
import { monotonicClock } from '../../src/system/health/monotonic-clock.js';
import { realHealthProbes } from '../../src/system/health/health-probes.js';
import { needsTool } from '../support/skip/fixtures.js';
import { withTempDir } from '../support/harness/temp.js';

function check(item: Record<string, unknown>): HealthCheck {
  const [parsed] = configSchema.parse({ signature: { required: false }, health: { checks: [{ name: 'c', ...item }] } }).health.checks;
  assert.ok(parsed);
  return parsed;
}

const probes = realHealthProbes();
const probe = (item: Record<string, unknown>): Promise<ProbeResult> => probes.probe(check(item), new AbortController().signal);

/** One check through the runner with the real clock: for attempts that must be cut by their timeout. */
async function runOne(item: Record<string, unknown>, env?: NodeJS.ProcessEnv) {
  const report = await runHealthChecks([check(item)], { probes: realHealthProbes(env ? { env } : {}), clock: monotonicClock }, { deadlineMs: 60_000 });
  const [result] = report.results;
  assert.ok(result);
  return result;
}

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Whether a process is gone (a zombie waiting for its reaper counts as gone: it runs nothing). */
function isGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return true;
  }
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.ok(condition(), what);
}

describe('health probes: http', () => {
  let base = '';
  let server: Server;
  let hangingRequestClosed = false;
  const routes = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.url === '/ok') response.end('fine');
    else if (request.url === '/down') {
      response.statusCode = 503;
      response.end(`database unreachable\n${'x'.repeat(100_000)}`);
    } else if (request.url === '/moved') {
      response.writeHead(302, { location: '/ok' }).end();
    } else if (request.url === '/hang') {
      request.on('close', () => (hangingRequestClosed = true));
    } else response.writeHead(404).end();
  };
  before(async () => {
    server = createHttpServer(routes);
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('a 200 passes', async () => {
    assert.deepEqual(await probe({ type: 'http', url: `${base}/ok` }), { passed: true, message: `GET ${base}/ok answered 200` });
  });

  it('a 503 fails, quoting the first line of its body', async () => {
    assert.deepEqual(await probe({ type: 'http', url: `${base}/down` }), { passed: false, message: `GET ${base}/down answered 503, expected 200: database unreachable` });
  });

  it('a listed status passes: 503 can be the expected answer', async () => {
    assert.equal((await probe({ type: 'http', url: `${base}/down`, status: [200, 503] })).passed, true);
  });

  it('a redirect is not followed', async () => {
    assert.deepEqual(await probe({ type: 'http', url: `${base}/moved` }), { passed: false, message: `GET ${base}/moved answered 302, expected 200` });
  });

  it('a server that never answers: the attempt is cut at its timeout and the request closed', async () => {
    const result = await runOne({ type: 'http', url: `${base}/hang`, timeout: '300ms', retries: 0 });
    assert.deepEqual([result.passed, result.message], [false, `GET ${base}/hang: no result within 300ms`]);
    await waitUntil(() => hangingRequestClosed, 'the server saw the request closed');
  });

  it('a closed port: connection refused', async () => {
    const closed = createTcpServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    assert.deepEqual(await probe({ type: 'http', url: `http://127.0.0.1:${port}/` }), { passed: false, message: `GET http://127.0.0.1:${port}/ failed: connection refused` });
  });
});

describe('health probes: https with a self-signed certificate', { skip: needsTool('openssl', 'openssl') }, () => {
  it('is refused unless insecure is true', () =>
    withTempDir(async (dir) => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const server = createHttpsServer({ key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) }, (_request, response) => response.end('fine'));
      try {
        const url = `https://127.0.0.1:${await listen(server)}/`;
        assert.deepEqual(await probe({ type: 'http', url }), { passed: false, message: `GET ${url} failed: self-signed certificate` });
        assert.deepEqual(await probe({ type: 'http', url, insecure: true }), { passed: true, message: `GET ${url} answered 200` });
      } finally {
        server.closeAllConnections();
        server.close();
      }
    }));
});

describe('health probes: tcp', () => {
  it('a listener accepts; a closed port refuses', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listen(server);
    try {
      assert.deepEqual(await probe({ type: 'tcp', host: '127.0.0.1', port }), { passed: true, message: `connect 127.0.0.1:${port} accepted` });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.deepEqual(await probe({ type: 'tcp', host: '127.0.0.1', port }), { passed: false, message: `connect 127.0.0.1:${port} refused` });
  });
});

describe('health probes: command', () => {
  it('true passes, false fails with its exit code', async () => {
    assert.deepEqual(await probe({ type: 'command', command: ['true'] }), { passed: true, message: 'true exited 0' });
    assert.deepEqual(await probe({ type: 'command', command: ['false'] }), { passed: false, message: 'false exited 1' });
  });

  it('the message quotes the last line of output; env is added to the environment', async () => {
    const result = await probe({ type: 'command', command: ['sh', '-c', 'echo "checking $HC_TARGET"; echo "$HC_TARGET: database down" >&2; exit 3'], env: { HC_TARGET: 'orders' } });
    assert.deepEqual(result, { passed: false, message: 'sh -c "echo \\"checking $HC_TARGET\\"; echo \\"$HC_TARGET: database down\\" >&2; exit 3" exited 3: orders: database down' });
  });

  it('untrusted output is bounded: a 1 MB line is cut to its last 200 characters, control characters blanked', async () => {
    const result = await probe({ type: 'command', command: ['sh', '-c', 'head -c 1000000 /dev/zero | tr "\\0" "a"; printf "\\033[2Jend"; exit 1'] });
    const quoted = result.message.slice(result.message.indexOf('exited 1: ') + 'exited 1: '.length);
    // 200 characters: the escape character became a space.
    assert.equal(quoted, `…${'a'.repeat(200 - ' [2Jend'.length)} [2Jend`);
  });

  it('a program that does not exist', async () => {
    assert.deepEqual(await probe({ type: 'command', command: ['/nonexistent/selftest'] }), { passed: false, message: '/nonexistent/selftest could not be started: /nonexistent/selftest not found' });
  });

  it('a command that hangs is killed at the timeout, with the children it started', () =>
    withTempDir(async (dir) => {
      const result = await runOne({ type: 'command', command: ['sh', '-c', `sleep 600 & echo $! > ${dir}/child; sleep 600`], timeout: '500ms', retries: 0 });
      assert.deepEqual([result.passed, result.attempts, result.code], [false, 1, 'HEALTH_CHECK_FAILED']);
      assert.match(result.message, /: no result within 500ms$/);
      const child = Number(readFileSync(`${dir}/child`, 'utf8'));
      assert.ok(child > 0);
      await waitUntil(() => isGone(child), `the background child ${child} was killed`);
    }));

  it('what a command leaves running when it exits is killed too', () =>
    withTempDir(async (dir) => {
      const result = await probe({ type: 'command', command: ['sh', '-c', `sleep 600 & echo $! > ${dir}/child; exit 0`] });
      assert.equal(result.passed, true);
      const child = Number(readFileSync(`${dir}/child`, 'utf8'));
      await waitUntil(() => isGone(child), `the leftover ${child} was killed`);
    }));
});

describe('health probes: file', () => {
  it('exists as a file or a folder; missing; a dangling link does not exist', () =>
    withTempDir(async (dir) => {
      writeFileSync(`${dir}/ready`, '');
      mkdirSync(`${dir}/run`);
      symlinkSync(`${dir}/nowhere`, `${dir}/dangling`);
      assert.deepEqual(await probe({ type: 'file', path: `${dir}/ready` }), { passed: true, message: `file ${dir}/ready exists (a file)` });
      assert.deepEqual(await probe({ type: 'file', path: `${dir}/run` }), { passed: true, message: `file ${dir}/run exists (a folder)` });
      assert.deepEqual(await probe({ type: 'file', path: `${dir}/missing` }), { passed: false, message: `file ${dir}/missing does not exist` });
      assert.deepEqual(await probe({ type: 'file', path: `${dir}/dangling` }), { passed: false, message: `file ${dir}/dangling does not exist` });
      assert.deepEqual(await probe({ type: 'file', path: `${dir}/ready/x` }), { passed: false, message: `file ${dir}/ready/x does not exist` });
    }));
});

// A fake systemctl: prints the `show` output found in `show.txt` beside it (or fails with the
// text of `fail.txt`), and records its arguments. With a `sequence` folder, call N prints
// `sequence/N` instead (counting from 0).
const FAKE_SYSTEMCTL = `#!/bin/sh
here=$(dirname "$0")
printf '%s\\n' "$*" >> "$here/calls"
if [ -f "$here/fail.txt" ]; then cat "$here/fail.txt" >&2; exit 1; fi
if [ -d "$here/sequence" ]; then
  n=$(cat "$here/count" 2>/dev/null || echo 0); echo $((n + 1)) > "$here/count"
  cat "$here/sequence/$n"; exit 0
fi
cat "$here/show.txt"
`;

const show = (load: string, active: string, sub: string, restarts = 0): string => `LoadState=${load}\nActiveState=${active}\nSubState=${sub}\nNRestarts=${restarts}\n`;

describe('health probes: systemd unit (a fake systemctl first on PATH)', () => {
  const withFakeSystemctl = (work: (dir: string, env: NodeJS.ProcessEnv) => Promise<void>): Promise<void> =>
    withTempDir(async (dir) => {
      writeFileSync(`${dir}/systemctl`, FAKE_SYSTEMCTL);
      chmodSync(`${dir}/systemctl`, 0o755);
      await work(dir, { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` });
    });
  const unit = { type: 'systemd-unit', unit: 'app.service' };

  it('asks `systemctl show` found on PATH for the unit, after --', () =>
    withFakeSystemctl(async (dir, env) => {
      writeFileSync(`${dir}/show.txt`, show('loaded', 'active', 'running'));
      assert.deepEqual(await realHealthProbes({ env }).probe(check(unit), new AbortController().signal), { passed: true, message: 'unit app.service is active (running)' });
      assert.equal(readFileSync(`${dir}/calls`, 'utf8'), 'show --property=LoadState,ActiveState,SubState,NRestarts -- app.service\n');
    }));

  it('each state: active passes; activating is retried; failed and not-found fail at once', () =>
    withFakeSystemctl(async (dir, env) => {
      const cases: [string, ProbeResult][] = [
        [show('loaded', 'active', 'exited'), { passed: true, message: 'unit app.service is active (exited)' }],
        [show('loaded', 'activating', 'start'), { passed: false, message: 'unit app.service is activating (still starting)' }],
        [show('loaded', 'activating', 'auto-restart', 4), { passed: false, message: 'unit app.service is activating (auto-restart: its process exited, restarted 4 times)' }],
        [show('loaded', 'failed', 'failed', 5), { passed: false, message: 'unit app.service has failed (failed, restarted 5 times)', final: true }],
        [show('not-found', 'inactive', 'dead'), { passed: false, message: 'unit app.service is not loaded (not-found)', final: true }],
        [show('masked', 'inactive', 'dead'), { passed: false, message: 'unit app.service is not loaded (masked)', final: true }],
        [show('loaded', 'inactive', 'dead'), { passed: false, message: 'unit app.service is inactive (dead)' }],
        [show('loaded', 'deactivating', 'stop-sigterm'), { passed: false, message: 'unit app.service is deactivating (stop-sigterm)' }],
      ];
      for (const [output, want] of cases) {
        writeFileSync(`${dir}/show.txt`, output);
        assert.deepEqual(await realHealthProbes({ env }).probe(check(unit), new AbortController().signal), want, output);
      }
    }));

  it('systemctl failing (no systemd as PID 1) is a failed attempt, retried, with its message', () =>
    withFakeSystemctl(async (dir, env) => {
      writeFileSync(`${dir}/fail.txt`, "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n");
      assert.deepEqual(await realHealthProbes({ env }).probe(check(unit), new AbortController().signal), {
        passed: false,
        message: 'unit app.service: systemctl show exited 1: Failed to connect to bus: Host is down',
      });
    }));

  it('through the runner: activating twice, then active, passes on the third attempt', () =>
    withFakeSystemctl(async (dir, env) => {
      mkdirSync(`${dir}/sequence`);
      writeFileSync(`${dir}/sequence/0`, show('loaded', 'activating', 'start'));
      writeFileSync(`${dir}/sequence/1`, show('loaded', 'activating', 'start'));
      writeFileSync(`${dir}/sequence/2`, show('loaded', 'active', 'running'));
      const result = await runOne({ ...unit, interval: '10ms' }, env);
      assert.deepEqual([result.passed, result.attempts, result.message], [true, 3, 'unit app.service is active (running)']);
      assert.equal(readFileSync(`${dir}/count`, 'utf8'), '3\n', 'systemctl was asked three times');
    }));
});
