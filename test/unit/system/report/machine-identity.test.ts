// Issue 15, class 7: the report on a stick carries an application-specific id derived from the
// machine id, as systemd derives one (checked against `systemd-id128 -a`), never the raw id.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APP_ID, appSpecificId, readMachineIdentity } from '../../../../src/system/report/machine-identity.js';
import { needsTool } from '../../../support/skip/fixtures.js';

describe('issue 15: the machine id on the stick', () => {
  it('is the app-specific id systemd derives, for this machine', { skip: needsTool('systemd-id128', 'systemd') }, () => {
    const machineId = execFileSync('systemd-id128', ['machine-id'], { encoding: 'utf8' }).trim();
    const expected = execFileSync('systemd-id128', ['machine-id', '--app-specific', APP_ID], { encoding: 'utf8' }).trim();
    assert.equal(appSpecificId(machineId), expected);
  });

  it('is a version 4 UUID, stable, and never the raw id, for generated machine ids', () => {
    for (let i = 0; i < 200; i++) {
      const machineId = randomBytes(16).toString('hex');
      const id = appSpecificId(machineId);
      assert.match(id, /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
      assert.equal(appSpecificId(machineId), id);
      assert.notEqual(id, machineId);
      assert.notEqual(appSpecificId(machineId, randomBytes(16).toString('hex')), id);
    }
  });

  it('readMachineIdentity gives the derived id, and null for a malformed file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'machine-id-'));
    try {
      const machineId = randomBytes(16).toString('hex');
      await writeFile(join(dir, 'good'), `${machineId}\n`);
      await writeFile(join(dir, 'bad'), 'uninitialized\n');
      assert.equal((await readMachineIdentity(join(dir, 'good'))).machineId, appSpecificId(machineId));
      assert.equal((await readMachineIdentity(join(dir, 'bad'))).machineId, null);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
