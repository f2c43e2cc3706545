// Issue 18: requestReboot() runs real commands and reports how they ended, and a SIGTERM that reaches
// this process while the command runs (as systemd's shutdown sends it to the whole service) is
// recorded instead of ending the process.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestReboot } from '../../../../src/system/install/reboot-request.js';

const sh = (script: string): string[] => ['sh', '-c', script];

describe('requestReboot', () => {
  it('a command that exits 0 ends with code 0 and nothing received', async () => {
    const facts = await requestReboot(sh('exit 0'), { timeoutMs: 5_000 });
    assert.deepEqual(facts.ended, { code: 0, signal: null, timedOut: false, output: '' });
    assert.equal(facts.received, null);
    assert.equal(facts.systemState, null);
  });

  it('a failing command keeps its exit code and output', async () => {
    const facts = await requestReboot(sh('echo refused >&2; exit 3'), { timeoutMs: 5_000 });
    assert.ok(!('startError' in facts.ended));
    assert.equal(facts.ended.code, 3);
    assert.equal(facts.ended.output, 'refused\n');
  });

  it('a command ended by a signal reports the signal', async () => {
    const facts = await requestReboot(sh('kill -TERM $$'), { timeoutMs: 5_000 });
    assert.ok(!('startError' in facts.ended));
    assert.equal(facts.ended.signal, 'SIGTERM');
    assert.equal(facts.ended.timedOut, false);
  });

  it('a command that does not return is killed at the timeout and says so', async () => {
    const facts = await requestReboot(sh('sleep 30'), { timeoutMs: 200 });
    assert.ok(!('startError' in facts.ended));
    assert.equal(facts.ended.timedOut, true);
    assert.equal(facts.ended.signal, 'SIGKILL');
  });

  it('a command that cannot be started is a fact, not an exception', async () => {
    const facts = await requestReboot(['/nonexistent/usb-updater-reboot'], { timeoutMs: 5_000 });
    assert.ok('startError' in facts.ended);
    assert.match(facts.ended.startError, /ENOENT/);
  });

  it('SIGTERM to this process and the command at once (a shutdown) is recorded, and this process lives on', async () => {
    const facts = await requestReboot(sh('kill -TERM $PPID; kill -TERM $$'), { timeoutMs: 5_000 });
    assert.equal(facts.received, 'SIGTERM');
    assert.ok(!('startError' in facts.ended));
    assert.equal(facts.ended.signal, 'SIGTERM');
    assert.equal(process.listenerCount('SIGTERM'), 0, 'the handler is removed again');
  });

  it('a stop signal received before the request is reported', async () => {
    const facts = await requestReboot(sh('exit 1'), { timeoutMs: 5_000, stopping: () => 'SIGTERM' });
    assert.equal(facts.received, 'SIGTERM');
  });
});
