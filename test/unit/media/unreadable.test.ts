// judgeUnreadable (issue 17): every reason a USB disk got no stick, on the facts the block layer gives,
// and the messages that name what was found.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAllowedType, judgeUnreadable, type UsbDiskFacts } from '../../../src/media/index.js';

const FILESYSTEMS = ['vfat', 'exfat', 'ext4', 'ntfs3'];
const disk = (volumes: UsbDiskFacts['volumes'], more: Partial<UsbDiskFacts> = {}): UsbDiskFacts => ({
  disk: '/sys/devices/pci0000:00/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb', device: '/dev/sdb',
  usb: { vendorId: '0781', productId: '5567', serial: '4C53' }, volumes, ...more,
});

describe('judgeUnreadable', () => {
  it('a disk one of whose filesystems was mounted as a stick is readable, whatever else is on it', () => {
    assert.equal(judgeUnreadable(disk([{ device: '/dev/sdb' }, { device: '/dev/sdb1', fsType: 'vfat' }, { device: '/dev/sdb2' }], { partitionTable: 'dos' }), true, FILESYSTEMS, 15_000), null);
    assert.equal(judgeUnreadable(disk([{ device: '/dev/sdb' }]), true, FILESYSTEMS, 15_000), null);
  });

  it('no-filesystem: a blank disk, with no partition table', () => {
    assert.deepEqual(judgeUnreadable(disk([{ device: '/dev/sdb' }]), false, FILESYSTEMS, 15_000), {
      reason: 'no-filesystem', message: '/dev/sdb has no partition table and no filesystem',
    });
  });

  it('no-filesystem: a partition table whose partitions hold nothing, counted', () => {
    assert.deepEqual(judgeUnreadable(disk([{ device: '/dev/sdb' }, { device: '/dev/sdb1' }], { partitionTable: 'dos' }), false, FILESYSTEMS, 15_000), {
      reason: 'no-filesystem', message: '/dev/sdb has a dos partition table with 1 partition and no filesystem on it',
    });
    assert.deepEqual(judgeUnreadable(disk([{ device: '/dev/sdb' }, { device: '/dev/sdb1' }, { device: '/dev/sdb2' }], { partitionTable: 'gpt' }), false, FILESYSTEMS, 15_000), {
      reason: 'no-filesystem', message: '/dev/sdb has a gpt partition table with 2 partitions and no filesystem on any',
    });
  });

  it('no-filesystem: a disk whose superblocks could not be read says why', () => {
    const verdict = judgeUnreadable(disk([{ device: '/dev/sdb' }], { probeError: '/dev/sdb: Input/output error' }), false, FILESYSTEMS, 15_000);
    assert.deepEqual(verdict, { reason: 'no-filesystem', message: '/dev/sdb has no partition table and no filesystem (/dev/sdb: Input/output error)' });
  });

  it('filesystem-not-allowed: every filesystem found is of a type media.filesystems does not list', () => {
    const verdict = judgeUnreadable(disk([{ device: '/dev/sdb' }, { device: '/dev/sdb1', fsType: 'btrfs' }, { device: '/dev/sdb2', fsType: 'crypto_LUKS', usage: 'crypto' }], { partitionTable: 'gpt' }), false, ['vfat'], 15_000);
    assert.deepEqual(verdict, { reason: 'filesystem-not-allowed', message: '/dev/sdb holds btrfs on /dev/sdb1, crypto_LUKS on /dev/sdb2: not in media.filesystems (vfat)' });
    // A superfloppy of a type not allowed.
    assert.equal(judgeUnreadable(disk([{ device: '/dev/sdb', fsType: 'ntfs' }]), false, ['vfat', 'exfat'], 15_000)?.reason, 'filesystem-not-allowed');
  });

  it('mount-failed: an allowed filesystem that was not mounted in time, even beside others not allowed', () => {
    assert.deepEqual(judgeUnreadable(disk([{ device: '/dev/sdb', fsType: 'exfat' }]), false, FILESYSTEMS, 15_000), {
      reason: 'mount-failed', message: 'exfat on /dev/sdb was not mounted within 15 s (the mount failed: no kernel driver, or a damaged filesystem)',
    });
    const mixed = judgeUnreadable(disk([{ device: '/dev/sdb' }, { device: '/dev/sdb1', fsType: 'btrfs' }, { device: '/dev/sdb2', fsType: 'vfat' }], { partitionTable: 'dos' }), false, FILESYSTEMS, 2500);
    assert.deepEqual(mixed, { reason: 'mount-failed', message: 'vfat on /dev/sdb2 was not mounted within 2.5 s (the mount failed: no kernel driver, or a damaged filesystem)' });
  });

  it('blkid\'s ntfs is the kernel\'s ntfs3 (or ntfs); other names are the same on both sides', () => {
    assert.equal(isAllowedType('ntfs', ['ntfs3']), true);
    assert.equal(isAllowedType('ntfs', ['ntfs']), true);
    assert.equal(isAllowedType('ntfs', ['vfat']), false);
    assert.equal(isAllowedType('vfat', ['vfat']), true);
    assert.equal(isAllowedType('ntfs3', ['ntfs3']), true);
    assert.equal(judgeUnreadable(disk([{ device: '/dev/sdb', fsType: 'ntfs' }]), false, FILESYSTEMS, 1000)?.reason, 'mount-failed');
  });
});
