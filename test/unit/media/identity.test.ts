// What counts as a stick: one row per case of issue 4's rule.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyMount, isUnder, parseMountInfoLine, type BlockDeviceFacts, type MediaOptions } from '../../../src/media/index.js';

const OPTIONS: MediaOptions = { roots: ['/run/usb-updater/media', '/media'], filesystems: ['vfat', 'ext4'], allowLoopDevices: false };
const USB: BlockDeviceFacts = { device: '/dev/sdb1', bus: 'usb', removable: true, disk: '/sys/devices/x/block/sdb', usb: { vendorId: '0781', productId: '5567', serial: 'S1' }, label: 'STICK', uuid: 'AB-CD' };
const DISK: BlockDeviceFacts = { device: '/dev/sda2', bus: 'other', removable: false, disk: '/sys/devices/y/block/sda' };
const LOOP: BlockDeviceFacts = { device: '/dev/loop3', bus: 'loop', removable: false, disk: '/sys/devices/virtual/block/loop3' };

const mount = (mountPoint: string, fsType = 'vfat', root = '/') => {
  const entry = parseMountInfoLine(`50 27 8:17 ${root} ${mountPoint} ro,nosuid - ${fsType} /dev/whatever ro`);
  assert.ok(entry);
  return entry;
};

describe('classifyMount', () => {
  const rows: Array<[string, ReturnType<typeof mount>, BlockDeviceFacts, MediaOptions, string]> = [
    ['a USB stick mounted anywhere', mount('/mnt/x'), USB, OPTIONS, 'stick'],
    ['a removable non-USB disk (card reader)', mount('/mnt/x'), { ...DISK, removable: true }, OPTIONS, 'stick'],
    ['an internal disk under a media root', mount('/media/data', 'ext4'), DISK, OPTIONS, 'stick'],
    ['an internal disk elsewhere', mount('/data', 'ext4'), DISK, OPTIONS, 'not-media'],
    ['a USB stick with a filesystem not allowed', mount('/mnt/x', 'ntfs3'), USB, OPTIONS, 'rejected'],
    ['a loop device under a root, loops not allowed', mount('/media/img'), LOOP, OPTIONS, 'rejected'],
    ['a loop device under a root, loops allowed', mount('/media/img'), LOOP, { ...OPTIONS, allowLoopDevices: true }, 'stick'],
    ['a loop device elsewhere, loops allowed', mount('/srv/img'), LOOP, { ...OPTIONS, allowLoopDevices: true }, 'not-media'],
    ['a bind mount of part of a stick', mount('/media/part', 'vfat', '/sub'), USB, OPTIONS, 'rejected'],
  ];
  for (const [name, entry, facts, options, kind] of rows) {
    it(`${name}: ${kind}`, () => assert.equal(classifyMount(entry, facts, options).kind, kind));
  }

  it('gives the identity the policy uses: filesystem, label, UUID, USB ids', () => {
    const verdict = classifyMount(mount('/media/usb'), USB, OPTIONS);
    assert.equal(verdict.kind, 'stick');
    assert.deepEqual(verdict.stick, {
      device: '/dev/sdb1', majMin: '8:17', mountPoint: '/media/usb', fsType: 'vfat', label: 'STICK', uuid: 'AB-CD',
      removable: true, bus: 'usb', usb: USB.usb, options: ['ro', 'nosuid'], disk: USB.disk,
    });
  });

  it('tells a rejected mount why', () => {
    const verdict = classifyMount(mount('/mnt/x', 'ntfs3'), USB, OPTIONS);
    assert.deepEqual(verdict, { kind: 'rejected', reason: 'filesystem type ntfs3 is not allowed' });
  });
});

describe('isUnder', () => {
  it('compares whole path components', () => {
    assert.equal(isUnder('/media', '/media'), true);
    assert.equal(isUnder('/media/a/b', '/media/'), true);
    assert.equal(isUnder('/media2/a', '/media'), false);
    assert.equal(isUnder('/anything', '/'), true);
  });
});
