// The block-layer reading of issue 17 on the real kernel: loop devices stand in for sticks (this
// machine has no USB bus), so the partitions come from the kernel's own sysfs and blkid probes real
// block devices. A loop device is never listed as a USB disk.

import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { after, describe, it } from 'node:test';
import { describeUsbDisk, listUsbDisks } from '../../src/system/media/usb-disks.js';
import { LoopSticks } from '../support/harness/loop-sticks.js';
import { needsRoot } from '../support/skip/media.js';

const skip = needsRoot();
const sticks = skip === false ? new LoopSticks() : null;
after(() => sticks?.cleanup());

describe('USB disks on the real block layer (loop devices)', { skip }, () => {
  it('a partitioned disk: its partitions in order from sysfs, each filesystem from blkid; not on USB, so not listed', async () => {
    const parts = (sticks as LoopSticks).partitionedStick(2, 'PART');
    const loop = (parts[0] ?? '').replace(/p1$/, '');
    const disk = realpathSync(`/sys/block/${basename(loop)}`);
    const facts = await describeUsbDisk(disk);
    assert.equal(facts?.device, loop);
    assert.equal(facts?.partitionTable, 'dos');
    assert.equal(facts?.usb, undefined);
    assert.deepEqual(facts?.volumes, [{ device: loop }, ...parts.map((p) => ({ device: p, fsType: 'ext4', usage: 'filesystem' }))]);
    assert.ok(!(await listUsbDisks()).includes(disk));
  });

  it('a superfloppy: the filesystem on the whole disk', async () => {
    const loop = (sticks as LoopSticks).stick('ext2', 'FLOPPY');
    const facts = await describeUsbDisk(realpathSync(`/sys/block/${basename(loop)}`));
    assert.deepEqual(facts?.volumes, [{ device: loop, fsType: 'ext2', usage: 'filesystem' }]);
    assert.equal(facts?.partitionTable, undefined);
  });
});
