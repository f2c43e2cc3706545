// The feedback and logging sections as the loader reads them: blink durations and hook timeouts
// in milliseconds, defaults filled in, and mistakes reported at their line with their key path.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { formatProblem, loadConfig } from '../../../src/policy/index.js';
import { KEYS } from '../../support/skip/fixtures.js';

const keys = { readKeyFile: () => Promise.resolve(readFileSync(`${KEYS}rsa3072.pub`, 'utf8')) };
const HEAD = 'signature:\n  required: false\n';

describe('feedback and logging config', () => {
  it('reads LED patterns, hooks and the console, in milliseconds, with defaults', async () => {
    const text = `${HEAD}feedback:\n  leds:\n    - name: green:status\n      patterns:\n        nothing: { on: 100ms, off: 1.9s }\n        success: heartbeat\n  hooks:\n    - command: [/usr/bin/panel, --phase]\n      phases: [failure]\n    - command: [logger]\n      timeout: 2s\n  console:\n    path: /dev/tty1\nlogging:\n  file:\n    path: /data/log.jsonl\n    max_size: 64KiB\n`;
    const result = await loadConfig(text, 'config.yaml', keys);
    assert.ok(result.ok, result.ok ? '' : result.problems.map(formatProblem).join('\n'));
    assert.deepEqual(result.loaded.config.feedback, {
      sysfs_root: '/sys/class/leds',
      leds: [{ name: 'green:status', patterns: { nothing: { on: 100, off: 1900 }, success: 'heartbeat' } }],
      hooks: [
        { command: ['/usr/bin/panel', '--phase'], phases: ['failure'], timeout: 10_000 },
        { command: ['logger'], timeout: 2000 },
      ],
      console: { path: '/dev/tty1' },
    });
    assert.deepEqual(result.loaded.config.logging, { format: 'auto', level: 'info', file: { path: '/data/log.jsonl', max_size: 65536, max_files: 3 } });
  });

  it('reports an LED name with a slash, an unknown phase and an unknown format where they are', async () => {
    const text = `${HEAD}feedback:\n  leds:\n    - name: ../../etc\n      patterns:\n        installed: on\nlogging:\n  format: colour\n`;
    const result = await loadConfig(text, 'config.yaml', keys);
    assert.ok(!result.ok);
    const printed = result.problems.map(formatProblem).join('\n');
    assert.match(printed, /config\.yaml:5:13 feedback\.leds\[0\]\.name: must be an LED name under the sysfs root, without \//);
    assert.match(printed, /config\.yaml:7:9 feedback\.leds\[0\]\.patterns\.installed: unknown key "installed": did you mean "installing"\?/);
    assert.match(printed, /config\.yaml:9:11 logging\.format: /);
  });
});
