// The installer backend against the real Mender client binary on this machine (no device set up:
// what is checked here is detection and how failures are reported; installs run in the A/B
// simulator's root tests).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientMessage, detectClient } from '../../src/install/index.js';
import { runCommand } from '../../src/system/os/process.js';
import { needsTool } from '../support/skip/fixtures.js';

describe('the Mender client backend', { skip: needsTool('mender', 'mender-client') }, () => {
  it('detects mender 3.x and its version', async () => {
    const client = await detectClient(runCommand);
    assert.equal(client.command, 'mender');
    assert.match(client.version, /^3\.\d+\.\d+$/);
  });

  it('reports a failed install with the client\'s own error message', async () => {
    const client = await detectClient(runCommand);
    await assert.rejects(client.install([Buffer.from('not an artifact')]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'INSTALL_FAILED');
      assert.match(err.message, /^mender install exited 1: \S/);
      return true;
    });
  });

  it('finds no client where none is installed', async () => {
    const noPath = (command: string, args: readonly string[]) => runCommand(command, args, { env: { PATH: '/nonexistent' } });
    await assert.rejects(detectClient(noPath), { code: 'INSTALL_NO_CLIENT', message: 'no Mender client found (mender: not installed; mender-update: not installed); install mender-client' });
  });
});

describe('clientMessage', () => {
  it('takes the last two level=error messages, unescaped, else the tail of the output', () => {
    const output = 'time="t" level=info msg="x"\ntime="t" level=error msg="first"\ntime="t" level=error msg="image (device types [\\"b\\"]) not compatible"\n';
    assert.equal(clientMessage(output), 'first: image (device types ["b"]) not compatible');
    assert.equal(clientMessage('a\nb\nc\nd\n'), 'b | c | d');
    // 3.x prints its final error twice in a row.
    assert.equal(clientMessage('level=error msg="x"\nlevel=error msg="bad checksum"\nlevel=error msg="bad checksum"\n'), 'x: bad checksum');
  });
});
