// The text view of `usb-updater watch`: one line per event, untrusted text from the stick escaped.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMediaEvent } from '../../../src/cli/format-media.js';
import type { StickIdentity } from '../../../src/media/index.js';

const stick: StickIdentity = {
  device: '/dev/sdb1', majMin: '8:17', mountPoint: '/run/usb-updater/media/sdb1', fsType: 'vfat', label: 'EVIL\n2026 forged line\u001b[2J', uuid: '1234-ABCD',
  removable: true, bus: 'usb', usb: { vendorId: '0781', productId: '5567', vendor: 'SanDisk', product: 'Cruzer\r', serial: 'S1' }, options: ['ro'], disk: '/sys/x/sdb',
};

describe('formatMediaEvent', () => {
  it('prints a mount on one line with its identity, control characters escaped', () => {
    const text = formatMediaEvent({ type: 'mounted', at: '2026-01-01T00:00:00.000Z', session: 'sdb#1', initial: true, stick });
    assert.equal(text.split('\n').length, 2);
    assert.equal(text, '2026-01-01T00:00:00.000Z mounted sdb#1 (present at start): /dev/sdb1 on /run/usb-updater/media/sdb1 (vfat, label "EVIL\\n2026 forged line\\u001b[2J", uuid 1234-ABCD, usb 0781:5567 SanDisk Cruzer\\u000d serial "S1", removable)\n');
  });

  it('says why a mount was refused', () => {
    const text = formatMediaEvent({ type: 'rejected', at: 'T', initial: false, mount: { device: '/dev/loop0', majMin: '7:0', mountPoint: '/media/x', fsType: 'ext4', reason: 'loop devices are not allowed (allow_loop_devices)' } });
    assert.equal(text, 'T rejected: /dev/loop0 on /media/x (ext4): loop devices are not allowed (allow_loop_devices)\n');
  });
});
