// The detector against a fake machine: a mount table the test edits and a hint it fires by hand.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchMedia, type BlockDeviceFacts, type MediaEvent, type MediaSystem } from '../../../src/media/index.js';
import type { Logger } from '../../../src/log/logger.js';

const ROOT = '27 1 254:0 / / rw - ext4 /dev/vda rw';
const line = (id: number, majMin: string, mountPoint: string, fsType = 'vfat') => `${id} 27 ${majMin} / ${mountPoint} ro,nosuid,nodev,noexec - ${fsType} /dev/x ro`;
const usb = (name: string, disk: string): BlockDeviceFacts => ({ device: `/dev/${name}`, bus: 'usb', removable: true, disk: `/sys/devices/usb/block/${disk}` });
const DEVICES: Record<string, BlockDeviceFacts> = { '8:17': usb('sdb1', 'sdb'), '8:18': usb('sdb2', 'sdb'), '8:33': usb('sdc1', 'sdc') };

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function fakeMachine(initial: string[]) {
  let table = initial;
  let hint: () => void = () => undefined;
  let stopped = 0;
  const system: MediaSystem = {
    readMountTable: () => Promise.resolve(table.join('\n') + '\n'),
    followMountTable: (onChange) => {
      hint = onChange;
      return { stop: () => Promise.resolve(void (stopped += 1)) };
    },
    describeBlockDevice: (majMin) => Promise.resolve(DEVICES[majMin] ?? null),
    watchDirectories: () => ({ stop: () => Promise.resolve(void (stopped += 1)) }),
    now: () => new Date(0),
  };
  return {
    system,
    set: (lines: string[]) => { table = lines; hint(); },
    stopped: () => stopped,
  };
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const brief = (events: MediaEvent[]) => events.map((e) => (e.type === 'mounted' || e.type === 'unmounted' ? `${e.type} ${e.stick.device} ${e.session}` : e.type === 'rejected' ? `rejected ${e.mount.fsType}` : e.type));

describe('watchMedia', () => {
  it('reports a stick present at start-up as initial, then ready', async () => {
    const machine = fakeMachine([ROOT, line(40, '8:17', '/mnt/a')]);
    const events: MediaEvent[] = [];
    const watch = await watchMedia(machine.system, { roots: ['/media'], filesystems: ['vfat'], allowLoopDevices: false }, silent, (e) => events.push(e));
    assert.deepEqual(brief(events), ['session-started', 'mounted /dev/sdb1 sdb#1', 'ready']);
    assert.equal(events[1]?.type === 'mounted' && events[1].initial, true);
    await watch.stop();
    assert.equal(machine.stopped(), 2);
  });

  it('follows mounts and unmounts: two partitions of one stick, a second stick, a refused filesystem', async () => {
    const machine = fakeMachine([ROOT]);
    const events: MediaEvent[] = [];
    const watch = await watchMedia(machine.system, { roots: ['/media'], filesystems: ['vfat'], allowLoopDevices: false }, silent, (e) => events.push(e));
    machine.set([ROOT, line(40, '8:17', '/media/a'), line(41, '8:18', '/media/b')]);
    await settle();
    machine.set([ROOT, line(40, '8:17', '/media/a'), line(41, '8:18', '/media/b'), line(42, '8:33', '/media/c'), line(43, '0:50', '/media/t', 'tmpfs')]);
    await settle();
    assert.deepEqual(watch.sessions().map((s) => [s.id, s.sticks.length]), [['sdb#1', 2], ['sdc#2', 1]]);
    machine.set([ROOT]);
    await settle();
    assert.deepEqual(brief(events), [
      'ready',
      'session-started', 'mounted /dev/sdb1 sdb#1', 'mounted /dev/sdb2 sdb#1',
      'session-started', 'mounted /dev/sdc1 sdc#2', 'rejected tmpfs',
      'unmounted /dev/sdb1 sdb#1', 'unmounted /dev/sdb2 sdb#1', 'session-ended', 'unmounted /dev/sdc1 sdc#2', 'session-ended',
    ]);
    await watch.stop();
  });

  it('turns a burst of hints into readings that never overlap and lose nothing', async () => {
    const machine = fakeMachine([ROOT]);
    const events: MediaEvent[] = [];
    const watch = await watchMedia(machine.system, { roots: ['/media'], filesystems: ['vfat'], allowLoopDevices: false }, silent, (e) => events.push(e));
    machine.set([ROOT, line(40, '8:17', '/media/a')]);
    machine.set([ROOT, line(40, '8:17', '/media/a')]);
    machine.set([ROOT, line(40, '8:17', '/media/a'), line(42, '8:33', '/media/c')]);
    await settle();
    assert.deepEqual(brief(events).filter((e) => e.startsWith('mounted')), ['mounted /dev/sdb1 sdb#1', 'mounted /dev/sdc1 sdc#2']);
    await watch.stop();
  });
});

describe('watchMedia start-up', () => {
  it('defers a hint that comes during the first reading until after it, and misses no mount', async () => {
    const machine = fakeMachine([ROOT]);
    const events: MediaEvent[] = [];
    let readings = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const read = machine.system.readMountTable.bind(machine.system);
    machine.system.readMountTable = async () => {
      readings += 1;
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      // The first reading sees the old table; a mount lands (with its hint) while it is in progress.
      const text = await read();
      if (readings === 1) machine.set([ROOT, line(40, '8:17', '/media/a')]);
      await settle();
      concurrent -= 1;
      return text;
    };
    const watch = await watchMedia(machine.system, { roots: ['/media'], filesystems: ['vfat'], allowLoopDevices: false }, silent, (e) => events.push(e));
    await settle();
    await settle();
    assert.equal(maxConcurrent, 1);
    assert.deepEqual(brief(events), ['ready', 'session-started', 'mounted /dev/sdb1 sdb#1']);
    await watch.stop();
  });
});
