// The console line: one short line per phase appended to the console (a temp file here), the
// stick's text escaped, long lines cut, a console that cannot be opened logged once.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { consoleLine, createFeedback } from '../../../src/feedback/index.js';
import { realFeedbackSystem } from '../../../src/system/feedback/feedback-system.js';
import { recordingLog } from '../../support/fakes/fake-feedback-system.js';

const root = mkdtempSync(join(tmpdir(), 'usb-updater-test-console-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('console feedback', () => {
  it('appends one line per phase', async () => {
    const path = join(root, 'tty1');
    writeFileSync(path, '');
    const feedback = createFeedback({ sysfs_root: root, leds: [], hooks: [], console: { path } }, realFeedbackSystem, recordingLog());
    const started = { deploymentId: 'dep-1', artifact: 'release-2.0' };
    feedback.phase('stick-seen');
    feedback.phase('checking');
    feedback.phase('installing', { ...started, percent: 0 });
    feedback.phase('rebooting', { ...started, reboot: 'on-removal' });
    await feedback.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    // A line asked for while another is being written may replace a waiting one: the last one always shows.
    assert.equal(lines.at(-1), '');
    assert.equal(lines.at(-2), 'usb-updater: installed release-2.0; remove the stick to reboot');
    assert.ok(lines.length >= 3 && lines.every((line) => line === '' || line.startsWith('usb-updater: ')), lines.join('\n'));
  });

  it('says what each phase means, escaped and at most one line', () => {
    assert.equal(consoleLine('installing', { artifact: 'release-2.0', percent: 42 }), 'usb-updater: installing release-2.0 42%; keep the stick in');
    assert.equal(consoleLine('nothing', {}), 'usb-updater: nothing to install on this stick');
    assert.equal(consoleLine('rebooting', { artifact: 'r', reboot: 'manual' }), 'usb-updater: installed r; reboot to start it');
    assert.equal(consoleLine('failure', { error: { code: 'MEDIA_GONE', message: 'the stick went away' } }), 'usb-updater: update failed: MEDIA_GONE the stick went away');
    assert.equal(consoleLine('success', { artifact: 'evil\x1b[2J\nname' }), 'usb-updater: evil\\u001b[2J\\u000aname installed and running');
    const long = consoleLine('failure', { error: { code: 'INSTALL_FAILED', message: 'x'.repeat(500) } });
    assert.equal(long.length, 79);
    assert.ok(long.endsWith('…'));
  });

  it('logs a console that cannot be written once, and never throws', async () => {
    const log = recordingLog();
    const feedback = createFeedback({ sysfs_root: root, leds: [], hooks: [], console: { path: join(root, 'no-such-tty') } }, realFeedbackSystem, log);
    feedback.phase('stick-seen');
    await feedback.close();
    feedback.phase('checking');
    await feedback.close();
    const warnings = log.lines.filter((line) => line.level === 'warn');
    assert.deepEqual(warnings.map((line) => line.message), ['feedback console cannot be written; ignoring it']);
    assert.match(String(warnings[0]?.fields['error']), /ENOENT/);
  });
});
