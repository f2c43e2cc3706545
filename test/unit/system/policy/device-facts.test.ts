// The formats of Mender's own files and output that the device facts are read from.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDeviceTypeFile, parseProvides } from '../../../../src/system/policy/device-facts.js';

describe('device facts', () => {
  it('reads device_type=NAME, the first such line, trimmed', () => {
    assert.equal(parseDeviceTypeFile('device_type=raspberrypi4\n', 'f'), 'raspberrypi4');
    assert.equal(parseDeviceTypeFile('# comment\n device_type = beagle \ndevice_type=other\n', 'f'), 'beagle');
    assert.throws(() => parseDeviceTypeFile('artifact_name=x\n', '/data/mender/device_type'), { code: 'IO_ERROR', message: '/data/mender/device_type: no device_type=NAME line' });
  });

  it('reads show-provides and artifact_info lines, splitting at the first =', () => {
    assert.deepEqual(parseProvides('artifact_name=release-1.0\nrootfs-image.checksum=ab=cd\n\nartifact_group=prod\n'), {
      artifact_name: 'release-1.0',
      'rootfs-image.checksum': 'ab=cd',
      artifact_group: 'prod',
    });
    assert.deepEqual(parseProvides(''), {});
  });
});
