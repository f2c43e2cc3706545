// The demo's narration: timestamps from an injected clock, and the daemon's JSON log lines, in the
// message forms of main and of the feedback work (prefixed outcome messages), turned into lines.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consoleLine } from '../../../src/feedback/console.js';
import { Narrator, describeCandidates, describeConsoleLine, describeDaemonLine, outcomeOf } from '../../demo/narration.js';

describe('demo narration', () => {
  it('stamps each line with the seconds since the start and indents continuation lines', () => {
    let now = 1000;
    let written = '';
    const narrator = new Narrator({ write: (text: string) => (written += text) }, () => now);
    now = 4100;
    narrator.say('stick 1 (DEMO-GOOD) plugged in');
    now = 13_240;
    narrator.say('report:\nline one\n\nline three');
    assert.equal(written, '[ 3.1s] stick 1 (DEMO-GOOD) plugged in\n[12.2s] report:\n        line one\n\n        line three\n');
  });

  it('names every candidate with its verdict and reason codes', () => {
    const candidates = [
      { path: '/run/usb-updater/media/loop4/release-9.0.mender', verdict: 'reject', reasons: ['DEVICE_TYPE_MISMATCH'] },
      { path: '/run/usb-updater/media/loop4/updates/release-3.0.mender', verdict: 'reject', reasons: ['UNSIGNED', 'NAME_DENIED'] },
    ];
    assert.equal(describeCandidates(candidates), 'release-9.0.mender REJECT DEVICE_TYPE_MISMATCH, release-3.0.mender REJECT UNSIGNED NAME_DENIED');
    assert.equal(describeCandidates([]), 'no candidate file on the stick');
  });

  it('narrates the daemon lines of each phase, in both message forms', () => {
    const stick = { device: '/dev/loop5', mountPoint: '/run/usb-updater/media/loop5', fsType: 'ext4', label: 'DEMO-GOOD' };
    assert.equal(describeDaemonLine({ level: 'info', message: 'stick mounted', session: 's#1', stick }, 'stick 1'), 'stick 1: mounted read-only at /run/usb-updater/media/loop5 (ext4, label DEMO-GOOD); checking');
    for (const message of ['installed', 'usb-updater: installed release-2.0']) {
      const line = { level: 'info', message, artifact: 'release-2.0', rebooting: true };
      assert.equal(outcomeOf(line), 'installed', message);
      assert.equal(describeDaemonLine(line, 'stick 1'), 'stick 1: installed release-2.0; the daemon asks for a reboot');
    }
    for (const message of ['nothing to install', 'usb-updater: nothing to install']) {
      const line = { level: 'info', message, candidates: [{ path: '/m/a.mender', verdict: 'reject', reasons: ['UNSIGNED'] }] };
      assert.equal(describeDaemonLine(line, 'stick 2'), 'stick 2: nothing installed: a.mender REJECT UNSIGNED');
    }
    for (const message of ['install failed', 'stick not handled', 'usb-updater: failed INSTALL_PENDING_UPDATE']) {
      const line = { level: 'error', message, code: 'INSTALL_PENDING_UPDATE', error: 'still pending' };
      assert.equal(describeDaemonLine(line, 'stick 1'), 'stick 1: failed: INSTALL_PENDING_UPDATE still pending');
    }
    assert.equal(describeDaemonLine({ level: 'info', message: 'boot check: nothing pending', status: 'nothing-pending' }, 'stick'), 'daemon: boot check: nothing pending');
    const files = ['/run/usb-updater/media/loop4/usb-updater-reports/ab-device-20261127T184800Z.txt', '/run/usb-updater/media/loop4/usb-updater-reports/ab-device-20261127T184800Z.json'];
    assert.equal(describeDaemonLine({ level: 'info', message: 'report written to the stick', mountPoint: '/run/usb-updater/media/loop4', files }, 'stick 2'), 'stick 2: report written to the stick (ab-device-20261127T184800Z.txt, ab-device-20261127T184800Z.json)');
    assert.equal(describeDaemonLine({ level: 'warn', message: 'report not written to the stick', reason: 'write-protected' }, 'stick 2'), 'stick 2: no report on the stick: write-protected');
  });

  it('leaves out what is no outcome: the deploy step lines, warnings; shows other errors', () => {
    // deploy() logs "installed NAME; rebooting" without the artifact field: the outcome line follows.
    assert.equal(outcomeOf({ level: 'info', message: 'installed release-2.0; rebooting', session: 's#1' }), null);
    assert.equal(describeDaemonLine({ level: 'info', message: 'installed release-2.0; rebooting', session: 's#1' }, 'stick 1'), null);
    assert.equal(describeDaemonLine({ level: 'warn', message: 'USB monitor ended' }, 'stick 1'), null);
    assert.equal(describeDaemonLine({ level: 'error', message: 'reading the mount table failed' }, 'stick 1'), 'daemon error: reading the mount table failed');
  });

  it('takes the install progress from the device console lines, and nothing else', () => {
    // The lines as the feedback console writes them, so that a change of wording shows here.
    assert.equal(describeConsoleLine(consoleLine('installing', { artifact: 'release-2.0', percent: 45 })), 'installing release-2.0: 45%');
    assert.equal(describeConsoleLine(consoleLine('installing', { artifact: 'release-2.0' })), null);
    assert.equal(describeConsoleLine(consoleLine('rebooting', { artifact: 'release-2.0', reboot: 'now' })), null);
    assert.equal(describeConsoleLine(consoleLine('checking', {})), null);
  });
});
