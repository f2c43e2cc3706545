// The time zone when the device names none: TZ=UTC, what the C library already assumes; a zone
// that TZ or /etc/localtime names is left alone. That V8's own search ends at UTC too, in a root
// without /etc/localtime, is checked in the A/B simulator (test/root/ab-device.test.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOCALTIME, settleTimeZone } from '../../../../src/system/os/time-zone.js';

describe('settleTimeZone', () => {
  it('sets TZ=UTC only when neither TZ nor /etc/localtime names a zone', () => {
    const asked: string[] = [];
    const none = (path: string): boolean => { asked.push(path); return false; };
    const unset: NodeJS.ProcessEnv = {};
    settleTimeZone(unset, none);
    assert.equal(unset.TZ, 'UTC');
    assert.deepEqual(asked, [LOCALTIME]);
    const named: NodeJS.ProcessEnv = { TZ: 'Europe/Berlin' };
    settleTimeZone(named, none);
    assert.equal(named.TZ, 'Europe/Berlin');
    const empty: NodeJS.ProcessEnv = { TZ: '' };
    settleTimeZone(empty, none);
    assert.equal(empty.TZ, '');
    const local: NodeJS.ProcessEnv = {};
    settleTimeZone(local, () => true);
    assert.equal(local.TZ, undefined);
  });
});
