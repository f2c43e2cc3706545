// The optional usb-detection addon in its child process: with the addon it loads, finds no USB bus
// on these machines and exits cleanly; without it, nothing changes but one log line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startUsbMonitor } from '../../src/system/media/usb-monitor.js';
import type { Logger } from '../../src/log/logger.js';
import { needsUsbDetection } from '../support/skip/media.js';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (message: string, fields?: Record<string, unknown>): void => { lines.push(`${message} ${JSON.stringify(fields ?? {})}`); };
  return { lines, info: log, warn: log, error: log };
}

describe('USB monitor child process', () => {
  it('loads usb-detection, reports no device on a machine without a USB bus, and stops within 2 s', { skip: needsUsbDetection() }, async () => {
    const logger = recordingLogger();
    const changes: unknown[] = [];
    const monitor = startUsbMonitor(logger, (c) => changes.push(c));
    assert.equal(await monitor.ready, true, logger.lines.join('\n'));
    const start = Date.now();
    await monitor.stop();
    assert.ok(Date.now() - start < 2000);
    assert.deepEqual(changes, []);
    // Started, then stopped with status 0: no "did not stop cleanly" line.
    assert.deepEqual(logger.lines, ['USB monitor started {"devices":0}']);
  });

  it('runs without the addon: one log line, a clean stop', async () => {
    const logger = recordingLogger();
    const monitor = startUsbMonitor(logger, () => undefined, { moduleName: 'usb-detection-not-installed' });
    assert.equal(await monitor.ready, false);
    await monitor.stop();
    assert.equal(logger.lines.length, 1, logger.lines.join('\n'));
    assert.match(logger.lines[0] ?? '', /^usb-detection is not installed or did not build/);
  });
});
