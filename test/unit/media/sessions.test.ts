// Partitions of one disk form one session; a re-plugged stick opens a new one.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionTracker, type StickIdentity } from '../../../src/media/index.js';

const part = (n: number, disk = '/sys/devices/x/block/sdb'): StickIdentity => ({
  device: `/dev/sdb${n}`, majMin: `8:${16 + n}`, mountPoint: `/media/p${n}`, fsType: 'vfat', removable: true, bus: 'usb', options: ['ro'], disk,
});

describe('SessionTracker', () => {
  it('groups the partitions of one disk and ends the session with the last unmount', () => {
    const tracker = new SessionTracker();
    const first = tracker.mount(part(1));
    const second = tracker.mount(part(2));
    assert.equal(first.started, true);
    assert.equal(second.started, false);
    assert.equal(second.session.id, 'sdb#1');
    assert.equal(tracker.open[0]?.sticks.length, 2);
    assert.equal(tracker.unmount(part(1))?.ended, false);
    assert.equal(tracker.unmount(part(2))?.ended, true);
    assert.deepEqual(tracker.open, []);
  });

  it('keeps two disks apart and gives a re-plugged disk a new session id', () => {
    const tracker = new SessionTracker();
    tracker.mount(part(1));
    assert.equal(tracker.mount(part(1, '/sys/devices/x/block/sdc')).session.id, 'sdc#2');
    tracker.unmount(part(1));
    assert.equal(tracker.mount(part(1)).session.id, 'sdb#3');
    assert.equal(tracker.unmount(part(9, '/sys/devices/none')), null);
  });
});
