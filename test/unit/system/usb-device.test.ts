// usb-detection's device objects (no USB bus here, so shaped after its documentation) to ours, and
// the JSON-lines logger that keeps untrusted text from forging a log line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonLinesLogger, toUsbDevice } from '../../../src/system/index.js';

describe('toUsbDevice', () => {
  it('maps ids to four hex digits and keeps the strings the device reports', () => {
    const raw = { locationId: 0, vendorId: 1921, productId: 21863, deviceName: 'Cruzer Blade', manufacturer: 'SanDisk', serialNumber: '4C530001', deviceAddress: 7 };
    assert.deepEqual(toUsbDevice(raw), { vendorId: '0781', productId: '5567', vendor: 'SanDisk', product: 'Cruzer Blade', serial: '4C530001', location: '0:7' });
  });

  it('drops what is missing, empty or of the wrong type', () => {
    assert.deepEqual(toUsbDevice({ vendorId: 'x', deviceName: '', serialNumber: 42 }), {});
    assert.deepEqual(toUsbDevice(null), {});
  });
});

describe('jsonLinesLogger', () => {
  it('writes one JSON object per line, newlines in fields escaped', () => {
    let out = '';
    const logger = jsonLinesLogger({ write: (text: string) => (out += text) }, () => new Date(0));
    logger.warn('mount refused as media', { label: 'A\n{"level":"error"}' });
    assert.equal(out.split('\n').length, 2);
    assert.deepEqual(JSON.parse(out), { time: '1970-01-01T00:00:00.000Z', level: 'warn', message: 'mount refused as media', label: 'A\n{"level":"error"}' });
  });
});
