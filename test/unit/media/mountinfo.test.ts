// The kernel mount table parser and the diff between two readings.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffMounts, parseMountInfo, parseMountInfoLine } from '../../../src/media/index.js';

const ROOT = '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard';
const STICK = '42 27 8:17 / /media/usb\\040stick rw,nosuid,nodev,noexec shared:5 master:1 - vfat /dev/sdb1 rw,fmask=0022';

describe('mountinfo', () => {
  it('parses a line with optional fields and decodes the kernel octal escapes', () => {
    assert.deepEqual(parseMountInfoLine(STICK), {
      id: 42, majMin: '8:17', root: '/', mountPoint: '/media/usb stick', fsType: 'vfat', source: '/dev/sdb1',
      options: ['rw', 'nosuid', 'nodev', 'noexec'],
    });
  });

  it('keeps a newline in a mount point inside the one entry (a hostile label cannot forge a line)', () => {
    const [entry] = parseMountInfo('43 27 8:33 / /media/a\\012b ro - ext4 /dev/sdc1 ro\n');
    assert.equal(entry?.mountPoint, '/media/a\nb');
  });

  it('skips lines without the documented shape', () => {
    assert.deepEqual(parseMountInfo(['garbage', '1 2 x:y / / rw - ext4 /dev/x rw', '', ROOT].join('\n')).map((m) => m.id), [27]);
  });

  it('diffs two readings, a reused mount id with another device counting as unmount plus mount', () => {
    const before = parseMountInfo([ROOT, STICK].join('\n'));
    const after = parseMountInfo([ROOT, '42 27 8:33 / /media/other rw - vfat /dev/sdc1 rw'].join('\n'));
    const changes = diffMounts(before, after);
    assert.deepEqual(changes.unmounted.map((m) => m.majMin), ['8:17']);
    assert.deepEqual(changes.mounted.map((m) => m.majMin), ['8:33']);
    assert.deepEqual(diffMounts(after, after), { mounted: [], unmounted: [] });
  });
});
