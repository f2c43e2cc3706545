// The managed-mode guard on the real /proc: a process that is the Mender daemon (argv mender …
// daemon, or mender-updated) is found; anything else is not.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { assertStandalone, findMenderDaemon } from '../../src/system/install/mender-daemon.js';

const stayAlive = ['-e', 'setTimeout(() => {}, 60000)'];

describe('the managed-mode guard', () => {
  const children: ChildProcess[] = [];
  after(() => children.forEach((child) => child.kill()));

  const start = async (argv0: string, extra: string[]): Promise<number> => {
    const child = spawn(process.execPath, [...stayAlive, ...extra], { argv0, stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child.pid ?? -1;
  };

  it('finds a running `mender daemon` and refuses with its pid; a `mender install` is not a daemon', async () => {
    await start('/usr/bin/mender', ['install']);
    assert.equal(await findMenderDaemon(), null);
    const pid = await start('/usr/bin/mender', ['daemon']);
    assert.equal(await findMenderDaemon(), pid);
    await assert.rejects(assertStandalone(), { code: 'INSTALL_MANAGED_MODE', message: new RegExp(`\\(pid ${pid}\\)`) });
    const daemon = children.pop();
    daemon?.kill();
    if (daemon) await new Promise((resolve) => daemon.once('exit', resolve));
  });

  it('finds mender-updated (Mender 4.x and later)', async () => {
    const pid = await start('mender-updated', []);
    assert.equal(await findMenderDaemon(), pid);
  });
});
