// Issue 18: judgeReboot() over every way a reboot request can end. Once the system is shutting down
// nothing counts as a failed reboot; only a command that fails while the system keeps running does.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeReboot, type RebootAttempt } from '../../../src/install/index.js';

const COMMAND = ['systemctl', '--no-block', 'reboot'];
const exited = (code: number | null, signal: NodeJS.Signals | null = null, timedOut = false, output = ''): RebootAttempt['ended'] => ({ code, signal, timedOut, output });
const attempt = (ended: RebootAttempt['ended'], more: Partial<RebootAttempt> = {}): RebootAttempt => ({ command: COMMAND, timeoutMs: 60_000, ended, received: null, systemState: null, ...more });

describe('judgeReboot (issue 18)', () => {
  const rows: { name: string; attempt: RebootAttempt; status: 'requested' | 'under-way' | 'failed'; reason?: RegExp }[] = [
    { name: 'exit 0', attempt: attempt(exited(0)), status: 'requested' },
    { name: 'exit 0, SIGTERM meanwhile', attempt: attempt(exited(0), { received: 'SIGTERM' }), status: 'under-way', reason: /received SIGTERM while the reboot was requested/ },
    // What the first real device showed: no system bus, systemctl killed by the shutdown it started.
    { name: 'ended by SIGTERM', attempt: attempt(exited(null, 'SIGTERM', false, 'Failed to connect to system scope bus via local transport')), status: 'under-way', reason: /was ended by SIGTERM: the shutdown it started/ },
    { name: 'ended by SIGKILL (the shutdown\'s final kill)', attempt: attempt(exited(null, 'SIGKILL')), status: 'under-way' },
    { name: 'exit 1 while this process got SIGTERM', attempt: attempt(exited(1, null, false, 'Failed to connect to bus'), { received: 'SIGTERM' }), status: 'under-way' },
    { name: 'exit 1, systemd stopping', attempt: attempt(exited(1, null, false, 'refused'), { systemState: 'stopping' }), status: 'under-way', reason: /exited 1: refused, but systemd reports the system as stopping/ },
    { name: 'exit 1, systemd running', attempt: attempt(exited(1, null, false, 'Access denied\n'), { systemState: 'running' }), status: 'failed', reason: /^systemctl --no-block reboot exited 1: Access denied$/ },
    { name: 'exit 1, systemd degraded', attempt: attempt(exited(1), { systemState: 'degraded' }), status: 'failed', reason: /^systemctl --no-block reboot exited 1$/ },
    { name: 'exit 1, no systemd', attempt: attempt(exited(1, null, false, 'no init')), status: 'failed', reason: /exited 1: no init/ },
    // Our own timeout kills it with SIGKILL: that signal is ours, not the shutdown's.
    { name: 'timed out', attempt: attempt(exited(null, 'SIGKILL', true), { timeoutMs: 2_000 }), status: 'failed', reason: /did not return within reboot\.timeout \(2 s\)/ },
    { name: 'timed out, systemd stopping', attempt: attempt(exited(null, 'SIGKILL', true), { systemState: 'stopping' }), status: 'under-way' },
    { name: 'not startable', attempt: attempt({ startError: 'spawn systemctl ENOENT' }), status: 'failed', reason: /could not be started: spawn systemctl ENOENT/ },
    { name: 'not startable, SIGTERM meanwhile', attempt: attempt({ startError: 'spawn systemctl ENOENT' }, { received: 'SIGTERM' }), status: 'under-way' },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.status}`, () => {
      const verdict = judgeReboot(row.attempt);
      assert.equal(verdict.status, row.status);
      if (row.reason) assert.match(verdict.status === 'requested' ? '' : verdict.reason, row.reason);
    });
  }
});
