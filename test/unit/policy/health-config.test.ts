// The `health` section of the config: a valid file normalized in full (per-type defaults, durations
// in ms), and each kind of mistake printed at the check item it is in, as FILE:LINE:COL.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProblem, loadConfig, type Config } from '../../../src/policy/index.js';

const FILE = 'c.yaml';
const UNSIGNED = 'signature: {required: false}\n';
const noKeys = { readKeyFile: (): Promise<string> => Promise.reject(new Error('no key files here')) };

async function problems(text: string): Promise<string[]> {
  const result = await loadConfig(`${UNSIGNED}health:\n${text}`, FILE, noKeys);
  assert.ok(!result.ok, 'the file is refused');
  return result.problems.map(formatProblem);
}

async function health(text: string): Promise<Config['health']> {
  const result = await loadConfig(`${UNSIGNED}health:\n${text}`, FILE, noKeys);
  assert.ok(result.ok, result.ok ? '' : result.problems.map(formatProblem).join('\n'));
  return result.loaded.config.health;
}

const PRINT = 'health.checks[0]';

describe('health config', () => {
  it('a valid section: every type, defaults per type, durations in milliseconds', async () => {
    const text = [
      '  deadline: 2m30s',
      '  checks:',
      '    - name: app',
      '      type: systemd-unit',
      '      unit: app.service',
      '      retries: 5',
      '      interval: 2s',
      '    - {name: api, type: http, url: "https://127.0.0.1:8443/health", insecure: true}',
      '    - {name: ssh, type: tcp, host: 127.0.0.1, port: 22, required: false}',
      '    - {name: selftest, type: command, command: [/usr/bin/app, --selftest], env: {MODE: check}}',
      '    - {name: marker, type: file, path: /data/app/ready, timeout: 250ms, retries: 0, interval: 0s}',
      '',
    ].join('\n');
    assert.deepEqual(await health(text), {
      deadline: 150_000,
      checks: [
        { type: 'systemd-unit', name: 'app', required: true, timeout: 10_000, retries: 5, interval: 2000, unit: 'app.service' },
        { type: 'http', name: 'api', required: true, timeout: 5000, retries: 3, interval: 5000, url: 'https://127.0.0.1:8443/health', status: [200], insecure: true },
        { type: 'tcp', name: 'ssh', required: false, timeout: 5000, retries: 3, interval: 5000, host: '127.0.0.1', port: 22 },
        { type: 'command', name: 'selftest', required: true, timeout: 30_000, retries: 3, interval: 5000, command: ['/usr/bin/app', '--selftest'], env: { MODE: 'check' } },
        { type: 'file', name: 'marker', required: true, timeout: 250, retries: 0, interval: 0, path: '/data/app/ready' },
      ],
    });
  });

  it('no section, or one with nothing in it: a 5 minute deadline and no checks', async () => {
    const result = await loadConfig(UNSIGNED, FILE, noKeys);
    assert.ok(result.ok);
    assert.deepEqual(result.loaded.config.health, { deadline: 300_000, checks: [] });
    assert.deepEqual(await health('  # checks: []\n'), { deadline: 300_000, checks: [] });
  });

  it('a duplicate name is reported at the second one, naming the first', async () => {
    assert.deepEqual(await problems('  checks:\n    - {name: app, type: file, path: /a}\n    - {name: api, type: tcp, host: h, port: 1}\n    - {name: app, type: file, path: /b}\n'), [
      `${FILE}:6:14 health.checks[2].name: duplicate check name "app": health.checks[0] has it already`,
    ]);
  });

  it('an unknown type: the types, and the closest one', async () => {
    assert.deepEqual(await problems('  checks:\n    - name: api\n      type: htpp\n      url: http://x/\n'), [
      `${FILE}:5:13 ${PRINT}.type: must be one of "systemd-unit", "http", "tcp", "command", "file", got string "htpp": did you mean "http"?`,
    ]);
    assert.deepEqual(await problems('  checks:\n    - {name: x, type: ping}\n'), [`${FILE}:4:23 ${PRINT}.type: must be one of "systemd-unit", "http", "tcp", "command", "file", got string "ping"`]);
  });

  it('no type at all: pointed at the item', async () => {
    assert.deepEqual(await problems('  checks:\n    - name: api\n      url: http://x/\n'), [`${FILE}:4:7 ${PRINT}.type: missing: must be one of "systemd-unit", "http", "tcp", "command", "file"`]);
  });

  it('unknown keys are suggested from the keys of that type only', async () => {
    assert.deepEqual(await problems('  checks:\n    - name: ssh\n      type: tcp\n      host: 127.0.0.1\n      port: 22\n      prt: 23\n'), [
      `${FILE}:8:7 ${PRINT}.prt: unknown key "prt": did you mean "port"?`,
    ]);
    assert.deepEqual(await problems('  checks:\n    - {name: ssh, type: tcp, host: h, port: 22, url: "http://x/"}\n'), [
      `${FILE}:4:49 ${PRINT}.url: unknown key "url": known keys here: type, name, required, timeout, retries, interval, host, port`,
    ]);
  });

  it('bad URLs: not http(s), not a URL, credentials', async () => {
    assert.deepEqual(await problems('  checks:\n    - {name: a, type: http, url: "ftp://x/"}\n    - {name: b, type: http, url: "not a url"}\n    - {name: c, type: http, url: "http://u:p@x/"}\n'), [
      `${FILE}:4:34 health.checks[0].url: must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080/health`,
      `${FILE}:5:34 health.checks[1].url: must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080/health`,
      `${FILE}:6:34 health.checks[2].url: must not hold a user name or password (it is written to the logs)`,
    ]);
  });

  it('bad ports, statuses and a missing key', async () => {
    assert.deepEqual(
      await problems('  checks:\n    - name: ssh\n      type: tcp\n      host: 127.0.0.1\n      port: 70000\n    - {name: b, type: tcp, host: h, port: "22"}\n    - {name: c, type: http, url: "http://x/", status: [200, 999]}\n    - {name: d, type: systemd-unit}\n'),
      [
        `${FILE}:7:13 health.checks[0].port: must be at most 65535, got number 70000`,
        `${FILE}:8:43 health.checks[1].port: expected a number, got string "22"`,
        `${FILE}:9:61 health.checks[2].status[1]: must be at most 599, got number 999`,
        `${FILE}:10:7 health.checks[3].unit: expected a string, got nothing`,
      ],
    );
  });

  it('a unit name that would be read as an option, a bad name, a relative path, bad durations', async () => {
    assert.deepEqual(await problems('  deadline: 0s\n  checks:\n    - {name: app, type: systemd-unit, unit: "--help"}\n    - {name: "bad name", type: file, path: relative, timeout: 5 sec}\n'), [
      `${FILE}:3:13 health.deadline: must be at least 1s`,
      `${FILE}:5:45 health.checks[0].unit: must be a systemd unit name (letters, digits, : _ . \\ @ -; not starting with -), e.g. app.service`,
      `${FILE}:6:14 health.checks[1].name: must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit`,
      `${FILE}:6:44 health.checks[1].path: must be an absolute path (start with /)`,
      `${FILE}:6:63 health.checks[1].timeout: "5 sec" is not a duration: write a number with a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m`,
    ]);
  });
});
