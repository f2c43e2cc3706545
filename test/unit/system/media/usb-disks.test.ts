// The USB disks of the block layer (issue 17), on a fake sysfs tree shaped like a real one (these
// machines have no USB bus) whose device nodes are real images made with the real tools and probed by
// the real blkid: a blank stick, a FAT superfloppy, a partition table with an ext4 partition and an
// empty one; an internal disk is not listed; a new node in the device folder wakes the follower.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { describeUsbDisk, followBlockDevices, listUsbDisks } from '../../../../src/system/media/usb-disks.js';
import { judgeUnreadable } from '../../../../src/media/index.js';
import { needsTool } from '../../../support/skip/fixtures.js';
import { recordingLogger } from '../../../support/fakes/recording-logger.js';

const skip = needsTool('blkid', 'util-linux') || needsTool('sfdisk', 'fdisk') || needsTool('mkfs.vfat', 'dosfstools') || needsTool('mkfs.ext4', 'e2fsprogs');
const root = mkdtempSync(`${tmpdir()}/usb-disks-`);
const sysfs = `${root}/sys`;
const dev = `${root}/dev`;
after(() => rmSync(root, { recursive: true, force: true }));

function file(path: string, text: string): void {
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  writeFileSync(path, text);
}
const run = (command: string, args: string[], input?: string): void => {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr}`);
};
const image = (name: string, mib: number): string => {
  const path = `${dev}/${name}`;
  writeFileSync(path, '');
  truncateSync(path, mib * 1024 * 1024);
  return path;
};

/** A USB disk `name` on port `port` with partitions `parts`, as sysfs shows it; returns its sysfs path. */
function usbDisk(name: string, port: number, parts: number): string {
  const usb = `${sysfs}/devices/pci0000:00/0000:00:14.0/usb1/1-${port}`;
  file(`${usb}/idVendor`, '0781\n');
  file(`${usb}/idProduct`, '5567\n');
  file(`${usb}/manufacturer`, 'SanDisk\n');
  file(`${usb}/serial`, `SERIAL-${name}\n`);
  symlinkSync(`${sysfs}/bus/usb`, `${usb}/subsystem`);
  const scsi = `${usb}/1-${port}:1.0/host${port}/target${port}:0:0/${port}:0:0:0`;
  mkdirSync(scsi, { recursive: true });
  const disk = `${scsi}/block/${name}`;
  file(`${disk}/dev`, `8:${port * 16}\n`);
  symlinkSync(scsi, `${disk}/device`);
  for (let n = 1; n <= parts; n += 1) {
    file(`${disk}/${name}${n}/partition`, `${n}\n`);
    file(`${disk}/${name}${n}/dev`, `8:${port * 16 + n}\n`);
  }
  symlinkSync(disk, `${sysfs}/block/${name}`);
  return disk;
}

let blank = '';
let floppy = '';
let parted = '';
before(() => {
  if (skip !== false) return;
  mkdirSync(`${sysfs}/bus/usb`, { recursive: true });
  mkdirSync(`${sysfs}/block`, { recursive: true });
  mkdirSync(dev, { recursive: true });
  // An internal disk: not on USB, never listed.
  const internal = `${sysfs}/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0`;
  mkdirSync(`${internal}/block/sda`, { recursive: true });
  file(`${internal}/block/sda/dev`, '8:0\n');
  symlinkSync(internal, `${internal}/block/sda/device`);
  symlinkSync(`${internal}/block/sda`, `${sysfs}/block/sda`);

  blank = usbDisk('sdb', 1, 0);
  image('sdb', 1);
  floppy = usbDisk('sdc', 2, 0);
  run('mkfs.vfat', ['-n', 'FLOPPY', image('sdc', 8)]);
  parted = usbDisk('sdd', 3, 2);
  run('sfdisk', ['--quiet', image('sdd', 8)], 'label: dos\nstart=2048, size=4096, type=83\nstart=6144, type=c\n');
  run('mkfs.ext4', ['-q', '-F', image('sdd1', 2)]);
  image('sdd2', 1);
});

describe('USB disks from sysfs and blkid', { skip }, () => {
  it('lists the whole disks on USB, not the internal one', async () => {
    assert.deepEqual(await listUsbDisks({ sysfs }), [blank, floppy, parted].sort());
  });

  it('a blank stick: no partition table, no filesystem, with its USB identity', async () => {
    const facts = await describeUsbDisk(blank, { sysfs, dev });
    assert.deepEqual(facts, {
      disk: blank, device: '/dev/sdb', usb: { vendorId: '0781', productId: '5567', vendor: 'SanDisk', serial: 'SERIAL-sdb' }, volumes: [{ device: '/dev/sdb' }],
    });
    assert.equal(facts && judgeUnreadable(facts, false, ['vfat'], 15_000)?.reason, 'no-filesystem');
  });

  it('a FAT superfloppy: the filesystem is on the whole disk', async () => {
    const facts = await describeUsbDisk(floppy, { sysfs, dev });
    assert.deepEqual(facts?.volumes, [{ device: '/dev/sdc', fsType: 'vfat', usage: 'filesystem' }]);
    assert.equal(facts?.partitionTable, undefined);
    assert.equal(facts && judgeUnreadable(facts, false, ['vfat'], 15_000)?.reason, 'mount-failed');
    assert.equal(facts && judgeUnreadable(facts, false, ['exfat'], 15_000)?.reason, 'filesystem-not-allowed');
  });

  it('a partition table with an ext4 partition and an empty one, in partition order', async () => {
    const facts = await describeUsbDisk(parted, { sysfs, dev });
    assert.equal(facts?.partitionTable, 'dos');
    assert.deepEqual(facts?.volumes, [{ device: '/dev/sdd' }, { device: '/dev/sdd1', fsType: 'ext4', usage: 'filesystem' }, { device: '/dev/sdd2' }]);
    assert.equal(facts && judgeUnreadable(facts, false, ['vfat'], 15_000)?.message, '/dev/sdd holds ext4 on /dev/sdd1: not in media.filesystems (vfat)');
  });

  it('a disk gone from sysfs is null; a node blkid cannot read is said, not taken for an empty stick', async () => {
    assert.equal(await describeUsbDisk(`${sysfs}/devices/gone/block/sdz`, { sysfs, dev }), null);
    const facts = await describeUsbDisk(blank, { sysfs, dev: `${root}/no-such-dev` });
    assert.equal(facts?.probeError, '/dev/sdb: cannot be opened (ENOENT)');
  });
});

describe('followBlockDevices', () => {
  it('calls back when a node appears in the device folder, and not after stop', async () => {
    const folder = mkdtempSync(`${tmpdir()}/usb-disks-dev-`);
    try {
      let calls = 0;
      const { logger } = recordingLogger();
      const follower = followBlockDevices(() => { calls += 1; }, logger, { dev: folder });
      writeFileSync(`${folder}/sde`, '');
      for (let i = 0; i < 50 && calls === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(calls > 0, 'woken by the new node');
      await follower.stop();
      const seen = calls;
      writeFileSync(`${folder}/sdf`, '');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(calls, seen);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a device folder that cannot be watched is logged, not thrown', async () => {
    const { logger, lines } = recordingLogger();
    await followBlockDevices(() => undefined, logger, { dev: '/nonexistent-dev' }).stop();
    assert.equal(lines[0]?.[1], 'cannot follow block devices; USB disks are looked at on USB attach only');
  });
});
