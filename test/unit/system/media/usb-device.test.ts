// usb-detection's device objects (no USB bus here, so shaped after its documentation) to ours.
// (The logger that keeps untrusted text from forging a line is tested in logger.test.ts.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toUsbDevice } from '../../../../src/system/media/usb-monitor.js';

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
