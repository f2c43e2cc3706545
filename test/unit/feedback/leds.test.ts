// LEDs against a fake sysfs tree of real files: the default pattern of every phase as the kernel's
// LED class takes it (trigger first), patterns from the config, max_brightness for "on", and an LED
// that is missing or cannot be written logged once without stopping the others.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createFeedback, DEFAULT_LED_PATTERNS, PHASES, type Phase } from '../../../src/feedback/index.js';
import { ledChannel } from '../../../src/feedback/leds.js';
import type { Config } from '../../../src/policy/index.js';
import { realFeedbackSystem } from '../../../src/system/feedback/feedback-system.js';
import { recordingLog } from '../../support/fakes/fake-feedback-system.js';

const root = mkdtempSync(join(tmpdir(), 'usb-updater-test-leds-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** An LED folder as the kernel shows it; the timer trigger's files are there from the start. */
function fakeLed(tree: string, name: string, max = '1'): string {
  const dir = join(tree, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, value] of Object.entries({ trigger: '[none] timer heartbeat', brightness: '0', max_brightness: max, delay_on: '0', delay_off: '0' })) writeFileSync(join(dir, file), value);
  return dir;
}

const read = (dir: string): Record<string, string> =>
  Object.fromEntries(['trigger', 'brightness', 'delay_on', 'delay_off'].map((file) => [file, readFileSync(join(dir, file), 'utf8')]));

describe('LED patterns through sysfs', () => {
  it('writes the default pattern of each phase', async () => {
    const tree = join(root, 'defaults');
    const dir = fakeLed(tree, 'status');
    const log = recordingLog();
    const leds = ledChannel(tree, [{ name: 'status', patterns: {} }], realFeedbackSystem, log);
    const seen: Partial<Record<Phase, Record<string, string>>> = {};
    for (const phase of PHASES) {
      leds.show(phase);
      await leds.idle();
      seen[phase] = read(dir);
    }
    assert.deepEqual(seen['installing'], { trigger: 'timer', brightness: '0', delay_on: '100', delay_off: '100' });
    assert.deepEqual(seen['stick-seen'], { trigger: 'timer', brightness: '0', delay_on: '50', delay_off: '950' });
    assert.equal(seen['rebooting']?.trigger, 'none');
    assert.equal(seen['rebooting']?.brightness, '1');
    assert.equal(seen['verifying']?.trigger, 'heartbeat');
    assert.deepEqual([seen['success']?.trigger, seen['success']?.brightness], ['none', '1']);
    assert.deepEqual([seen['nothing']?.trigger, seen['nothing']?.brightness], ['none', '0']);
    assert.deepEqual(seen['failure'], { trigger: 'timer', brightness: '0', delay_on: '1000', delay_off: '1000' });
    // Every phase looks different from the one before it, so a change is always visible.
    for (let i = 1; i < PHASES.length; i += 1) {
      assert.notDeepEqual(DEFAULT_LED_PATTERNS[PHASES[i] as Phase], DEFAULT_LED_PATTERNS[PHASES[i - 1] as Phase], `${PHASES[i]} after ${PHASES[i - 1]}`);
    }
    assert.deepEqual(log.lines, []);
  });

  it('takes patterns from the config and lights a PWM LED at its max_brightness', async () => {
    const tree = join(root, 'config');
    const dir = fakeLed(tree, 'green:status', '255');
    const leds = ledChannel(tree, [{ name: 'green:status', patterns: { nothing: { on: 100, off: 1900 }, success: 'heartbeat' } }], realFeedbackSystem, recordingLog());
    leds.show('nothing');
    await leds.idle();
    assert.deepEqual(read(dir), { trigger: 'timer', brightness: '0', delay_on: '100', delay_off: '1900' });
    leds.show('success');
    await leds.idle();
    assert.equal(read(dir).trigger, 'heartbeat');
    leds.show('rebooting');
    await leds.idle();
    assert.deepEqual([read(dir).trigger, read(dir).brightness], ['none', '255']);
  });

  it('logs a missing LED and an unwritable attribute once each, and still sets the LEDs that work', async () => {
    const tree = join(root, 'broken');
    const good = fakeLed(tree, 'good');
    const bad = fakeLed(tree, 'bad');
    // A folder where the trigger file should be: every write to it fails (EISDIR), even as root.
    rmSync(join(bad, 'trigger'));
    mkdirSync(join(bad, 'trigger'));
    const log = recordingLog();
    const config: Config['feedback'] = { sysfs_root: tree, leds: [{ name: 'missing', patterns: {} }, { name: 'bad', patterns: {} }, { name: 'good', patterns: {} }], hooks: [], console: null };
    const feedback = createFeedback(config, realFeedbackSystem, log);
    for (const phase of ['stick-seen', 'checking', 'installing', 'failure'] as const) feedback.phase(phase);
    await feedback.close();
    assert.deepEqual(read(good), { trigger: 'timer', brightness: '0', delay_on: '1000', delay_off: '1000' });
    // The LEDs are written side by side: their lines come in either order.
    const warnings = log.lines.filter((line) => line.level === 'warn').sort((a, b) => String(a.fields['led']).localeCompare(String(b.fields['led'])));
    assert.deepEqual(warnings.map((line) => [line.message, line.fields['led']]), [
      ['feedback LED cannot be set; ignoring it', 'bad'],
      ['feedback LED cannot be set; ignoring it', 'missing'],
    ]);
    assert.match(String(warnings[0]?.fields['error']), /EISDIR/);
    assert.match(String(warnings[1]?.fields['error']), /ENOENT/);
  });
});
