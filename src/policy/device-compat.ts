// Whether the Mender client would accept an artifact on this device, with exactly the client's
// rules, so the policy never picks what the client will refuse: the device type must be in the
// artifact's device_type list; every other depends key must be among the device's provides, equal
// to a string value or one of a list's values (an empty list is met by nothing). The header-info
// depends and every payload's type-info depends are checked alike.

import type { ArtifactInfo, DependsMap, ProvidesMap } from '../artifact/index.js';
import type { Reason } from './reasons.js';

export interface DeviceFacts {
  deviceType: string;
  /** What `mender show-provides` prints: artifact_name, artifact_group, rootfs-image.version… */
  provides: Readonly<ProvidesMap>;
}

const list = (values: readonly string[]): string => values.map((v) => JSON.stringify(v)).join(', ');

function unmetDepends(depends: DependsMap, provides: Readonly<ProvidesMap>, where: string): Reason[] {
  const reasons: Reason[] = [];
  for (const [key, wanted] of Object.entries(depends)) {
    // The device type is compared with the device_type file, not with the provides.
    if (key === 'device_type') continue;
    const has = provides[key];
    const met = has !== undefined && (Array.isArray(wanted) ? wanted.includes(has) : wanted === has);
    if (met) continue;
    const want = Array.isArray(wanted) ? `one of [${list(wanted)}]` : JSON.stringify(wanted);
    const got = has === undefined ? 'the device does not provide it' : `the device has ${JSON.stringify(has)}`;
    reasons.push({ code: 'DEPENDS_NOT_MET', message: `${where}depends on ${key} ${want}, but ${got}` });
  }
  return reasons;
}

/** The reasons the client would refuse `info` on this device; empty when it would accept it. */
export function incompatibilities(info: ArtifactInfo, device: DeviceFacts): Reason[] {
  const reasons: Reason[] = [];
  if (!info.device_types.includes(device.deviceType)) {
    reasons.push({
      code: 'DEVICE_TYPE_MISMATCH',
      message: `made for device type ${info.device_types.length === 0 ? '(none)' : list(info.device_types)}; this device is ${JSON.stringify(device.deviceType)}`,
    });
  }
  reasons.push(...unmetDepends(info.artifact_depends, device.provides, ''));
  info.payloads.forEach((payload, index) => {
    reasons.push(...unmetDepends(payload.artifact_depends, device.provides, `payload ${index} (${payload.type}) `));
  });
  return reasons;
}
