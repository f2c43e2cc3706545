// The sysfs walk from MAJ:MIN to the USB device, on a fake sysfs tree shaped like a real one (these
// machines have no USB bus), and the decoding of blkid's udev-style escapes.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, describe, it } from 'node:test';
import { decodeUdevString, describeBlockDevice } from '../../../../src/system/media/block-devices.js';

const sysfs = mkdtempSync(`${tmpdir()}/sysfs-`);
after(() => rmSync(sysfs, { recursive: true, force: true }));

function file(path: string, text: string): void {
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  writeFileSync(path, text);
}

// /sys/devices/…/usb1/1-1 (the USB device) / 1-1:1.0 (interface) / host6 /…/ block/sdb/sdb1
const usbDevice = `${sysfs}/devices/pci0000:00/0000:00:14.0/usb1/1-1`;
const disk = `${usbDevice}/1-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb`;
file(`${usbDevice}/idVendor`, '0781\n');
file(`${usbDevice}/idProduct`, '5567\n');
file(`${usbDevice}/manufacturer`, 'SanDisk\n');
file(`${usbDevice}/product`, 'Cruzer Blade\n');
file(`${usbDevice}/serial`, '4C530001\n');
mkdirSync(`${sysfs}/bus/usb`, { recursive: true });
symlinkSync(`${sysfs}/bus/usb`, `${usbDevice}/subsystem`);
file(`${disk}/removable`, '1\n');
file(`${disk}/uevent`, 'MAJOR=8\nMINOR=16\nDEVNAME=sdb\nDEVTYPE=disk\n');
file(`${disk}/sdb1/uevent`, 'MAJOR=8\nMINOR=17\nDEVNAME=sdb1\nDEVTYPE=partition\n');
const internal = `${sysfs}/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda`;
file(`${internal}/removable`, '0\n');
file(`${internal}/uevent`, 'DEVNAME=sda\nDEVTYPE=disk\n');
const loop = `${sysfs}/devices/virtual/block/loop4`;
file(`${loop}/removable`, '0\n');
file(`${loop}/uevent`, 'DEVNAME=loop4\nDEVTYPE=disk\n');
mkdirSync(`${sysfs}/dev/block`, { recursive: true });
symlinkSync(`${disk}/sdb1`, `${sysfs}/dev/block/8:17`);
symlinkSync(internal, `${sysfs}/dev/block/8:0`);
symlinkSync(loop, `${sysfs}/dev/block/7:4`);

// blkid is asked about /dev/<name>, which does not exist here: no label, no UUID, no failure.
const options = { sysfs, blkid: '/bin/false' };

describe('describeBlockDevice', () => {
  it('walks from a USB partition to its disk and the USB device above it', async () => {
    assert.deepEqual(await describeBlockDevice('8:17', options), {
      device: '/dev/sdb1', bus: 'usb', removable: true, disk,
      usb: { vendorId: '0781', productId: '5567', vendor: 'SanDisk', product: 'Cruzer Blade', serial: '4C530001' },
    });
  });

  it('tells an internal disk and a loop device apart from USB', async () => {
    assert.deepEqual(await describeBlockDevice('8:0', options), { device: '/dev/sda', bus: 'other', removable: false, disk: internal });
    assert.equal((await describeBlockDevice('7:4', options))?.bus, 'loop');
  });

  it('returns null for a device that is gone or a malformed MAJ:MIN', async () => {
    assert.equal(await describeBlockDevice('8:99', options), null);
    assert.equal(await describeBlockDevice('../../etc', options), null);
  });
});

describe('decodeUdevString', () => {
  it('decodes \\xNN escapes, multi-byte characters included', () => {
    assert.equal(decodeUdevString('bad\\x0aname\\x20x'), 'bad\nname x');
    assert.equal(decodeUdevString('caf\\xc3\\xa9'), 'café');
    assert.equal(decodeUdevString('plain'), 'plain');
  });
});
