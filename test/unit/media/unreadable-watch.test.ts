// watchUnreadable (issue 17) on a fake block layer: a USB disk that gets no stick within the timeout
// is reported once, with its facts and reason; one mounted in time, one pulled out before, and one
// that leaves and comes back are handled as a technician would expect.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchUnreadable, type MediaEvent, type UsbDiskFacts, type UsbDiskSystem } from '../../../src/media/index.js';
import { recordingLogger } from '../../support/fakes/recording-logger.js';

const TIMEOUT_MS = 40;
const unreadable = (events: MediaEvent[]) => events.flatMap((e) => (e.type === 'unreadable' ? [e] : []));
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const blank = (name: string): UsbDiskFacts => ({ disk: `/sys/block/${name}`, device: `/dev/${name}`, usb: { vendorId: '0781', productId: '5567', serial: name }, volumes: [{ device: `/dev/${name}` }] });

/** A block layer the test changes: `plug` adds a disk and hints, `pull` removes it. */
function fakeBlockLayer(): UsbDiskSystem & { plug(facts: UsbDiskFacts): void; pull(name: string): void; followers: number; lists: number } {
  const disks = new Map<string, UsbDiskFacts>();
  let hint: () => void = () => undefined;
  const layer = {
    followers: 0,
    lists: 0,
    listUsbDisks: () => {
      layer.lists += 1;
      return Promise.resolve([...disks.keys()]);
    },
    describeUsbDisk: (disk: string) => Promise.resolve(disks.get(disk) ?? null),
    followBlockDevices: (onChange: () => void) => {
      layer.followers += 1;
      hint = onChange;
      return { stop: () => { layer.followers -= 1; return Promise.resolve(); } };
    },
    plug: (facts: UsbDiskFacts) => { disks.set(facts.disk, facts); hint(); },
    pull: (name: string) => { disks.delete(`/sys/block/${name}`); hint(); },
  };
  return layer;
}

async function started(layer: UsbDiskSystem, filesystems = ['vfat']) {
  const events: MediaEvent[] = [];
  const { logger, lines } = recordingLogger();
  const watch = await watchUnreadable(layer, { current: () => ({ timeoutMs: TIMEOUT_MS, filesystems }), now: () => new Date(0) }, logger, (e) => events.push(e));
  return { watch, events, lines };
}

describe('watchUnreadable', () => {
  it('reports a disk with no filesystem once, after the timeout, with its facts', async () => {
    const layer = fakeBlockLayer();
    const { watch, events } = await started(layer);
    layer.plug(blank('sdb'));
    await wait(TIMEOUT_MS / 2);
    assert.equal(events.length, 0, 'not before the timeout');
    await wait(TIMEOUT_MS * 2);
    assert.deepEqual(events, [{ type: 'unreadable', at: new Date(0).toISOString(), disk: blank('sdb'), reason: 'no-filesystem', message: '/dev/sdb has no partition table and no filesystem' }]);
    layer.plug(blank('sdc'));
    await wait(TIMEOUT_MS * 3);
    assert.deepEqual(unreadable(events).map((e) => e.disk.device), ['/dev/sdb', '/dev/sdc'], 'each disk once');
    await watch.stop();
    assert.equal(layer.followers, 0);
  });

  it('says nothing of a disk one of whose filesystems was mounted, or one pulled out before the timeout', async () => {
    const layer = fakeBlockLayer();
    const { watch, events } = await started(layer);
    layer.plug({ ...blank('sdb'), volumes: [{ device: '/dev/sdb' }, { device: '/dev/sdb1', fsType: 'vfat' }], partitionTable: 'dos' });
    // The mount is reported before the block layer's hint was read: kept all the same.
    watch.mounted('/sys/block/sdb');
    layer.plug(blank('sdc'));
    await wait(TIMEOUT_MS / 2);
    layer.pull('sdc');
    await wait(TIMEOUT_MS * 3);
    assert.deepEqual(events, []);
    await watch.stop();
  });

  it('a disk present at start is judged like a new one; one plugged in again is judged again', async () => {
    const layer = fakeBlockLayer();
    layer.plug({ ...blank('sdb'), volumes: [{ device: '/dev/sdb', fsType: 'ntfs' }] });
    const { watch, events } = await started(layer, ['vfat']);
    await wait(TIMEOUT_MS * 3);
    assert.deepEqual(unreadable(events).map((e) => e.reason), ['filesystem-not-allowed']);
    layer.pull('sdb');
    await wait(5);
    layer.plug({ ...blank('sdb'), volumes: [{ device: '/dev/sdb', fsType: 'vfat' }] });
    await wait(TIMEOUT_MS * 3);
    assert.deepEqual(unreadable(events).map((e) => e.reason), ['filesystem-not-allowed', 'mount-failed']);
    await watch.stop();
  });

  it('a USB attach looks at the block layer again, now and a moment later; stop() ends every timer', async () => {
    const layer = fakeBlockLayer();
    const { watch, events } = await started(layer);
    const before = layer.lists;
    watch.hint();
    await wait(10);
    assert.ok(layer.lists > before, 'listed again at once');
    layer.plug(blank('sdd'));
    await watch.stop();
    await wait(TIMEOUT_MS * 2);
    assert.deepEqual(events, [], 'nothing after stop');
  });
});
