// The boot classification: every case of issue 6 from the facts alone, and the rule that nothing
// but "the new partition runs AND the bootloader counts its trial" is ever a trial boot.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterRollback, alreadyCommitted, backOnOldImage, classifyBoot, describeBoot, type BootFacts, type DeploymentFacts } from '../../../src/health/index.js';

const rootfs: DeploymentFacts = { partitionBefore: '2', partitionAfter: '3', rebootRequired: true };
const facts = (root: string | null, upgradeAvailable: string, bootPart: string): BootFacts => ({ root, env: { upgrade_available: upgradeAvailable, mender_boot_part: bootPart } });

describe('classifyBoot', () => {
  const cases: [string, DeploymentFacts, BootFacts, ReturnType<typeof classifyBoot>][] = [
    ['new partition, trial pending', rootfs, facts('3', '1', '3'), 'trial-boot'],
    ['old partition, nothing pending (bootlimit reached)', rootfs, facts('2', '0', '2'), 'bootloader-fell-back'],
    ['new partition, nothing pending (committed by someone else)', rootfs, facts('3', '0', '3'), 'unexpected'],
    ['old partition, trial still pending', rootfs, facts('2', '1', '3'), 'unexpected'],
    ['running partition unknown', rootfs, facts(null, '1', '3'), 'unexpected'],
    ['no bootloader environment', rootfs, { root: '3', env: null }, 'unexpected'],
    ['only the partition after is known', { ...rootfs, partitionBefore: null }, facts('3', '1', '3'), 'trial-boot'],
    ['an update module', { partitionBefore: '2', partitionAfter: null, rebootRequired: false }, facts('2', '0', '2'), 'no-reboot-update'],
  ];
  for (const [name, deployment, boot, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      assert.equal(classifyBoot(deployment, boot), expected);
    });
  }

  it('describes the facts it decided on', () => {
    assert.equal(describeBoot('bootloader-fell-back', rootfs, facts('2', '0', '2')), 'the bootloader fell back to the old image (running partition 2, installed from 2 to 3; upgrade_available=0 mender_boot_part=2)');
  });
});

describe('after a rollback, a commit, a rollback reboot', () => {
  it('afterRollback: done, done but the new image still runs, or failed', () => {
    assert.equal(afterRollback(rootfs, facts('2', '0', '2')), 'rolled-back');
    assert.equal(afterRollback(rootfs, facts('3', '0', '2')), 'rollback-needs-reboot');
    assert.equal(afterRollback(rootfs, facts('3', '1', '3')), 'rollback-failed');
    // Committed meanwhile: the bootloader boots the new image with nothing pending.
    assert.equal(afterRollback(rootfs, facts('3', '0', '3')), 'rollback-failed');
    assert.equal(afterRollback(rootfs, { root: null, env: null }), 'rolled-back');
  });

  it('alreadyCommitted only when the new image runs with nothing pending', () => {
    assert.equal(alreadyCommitted(rootfs, facts('3', '0', '3')), true);
    assert.equal(alreadyCommitted(rootfs, facts('3', '1', '3')), false);
    assert.equal(alreadyCommitted(rootfs, facts('2', '0', '2')), false);
  });

  it('backOnOldImage after the rollback reboot', () => {
    assert.equal(backOnOldImage(rootfs, facts('2', '0', '2')), true);
    assert.equal(backOnOldImage(rootfs, facts('3', '0', '2')), false);
    assert.equal(backOnOldImage(rootfs, facts('2', '1', '3')), false);
  });
});
