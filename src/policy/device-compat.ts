// Whether the Mender client would accept an artifact on this device, with exactly the client's
// rules (measured with mender-client 3.4 through test/support/artifacts/mender-device.ts), so the policy never
// picks what the client will refuse:
// - the device type must be in the artifact's device_type list;
// - header-info depends: only artifact_name and artifact_group count (the client ignores any other
//   key there), and an empty list is no constraint;
// - every payload's type-info depends key must be among the device's provides, equal to a string
//   value or one of a list's values; a key the device lacks is unmet (a device with no group does
//   not meet a group dependency);
// - a key in both the header-info and a type-info depends is refused outright ("Conflicting keys").

import type { ArtifactInfo, DependsMap, ProvidesMap } from '../artifact/index.js';
import type { Reason } from './reasons.js';

export interface DeviceFacts {
  deviceType: string;
  /** What `mender show-provides` prints: artifact_name, artifact_group, rootfs-image.version… */
  provides: Readonly<ProvidesMap>;
  /** Artifacts that failed or were rolled back on this device (from the ledger). */
  failedArtifacts?: readonly string[];
}

const list = (values: readonly string[]): string => values.map((v) => JSON.stringify(v)).join(', ');

/** The header-info depends keys the client enforces; it ignores every other key there. */
const HEADER_DEPENDS = new Set(['artifact_name', 'artifact_group']);

function unmetDepends(depends: DependsMap, provides: Readonly<ProvidesMap>, where: string): Reason[] {
  const reasons: Reason[] = [];
  for (const [key, wanted] of Object.entries(depends)) {
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
  const header = Object.fromEntries(
    Object.entries(info.artifact_depends).filter(([key, value]) => HEADER_DEPENDS.has(key) && !(Array.isArray(value) && value.length === 0)),
  );
  reasons.push(...unmetDepends(header, device.provides, ''));
  info.payloads.forEach((payload, index) => {
    const where = `payload ${index} (${payload.type}) `;
    for (const key of Object.keys(payload.artifact_depends).filter((k) => (HEADER_DEPENDS.has(k) || k === 'device_type') && k in info.artifact_depends)) {
      reasons.push({ code: 'DEPENDS_CONFLICT', message: `${where}and the header both depend on ${key}; the Mender client refuses such artifacts` });
    }
    reasons.push(...unmetDepends(payload.artifact_depends, device.provides, where));
  });
  return reasons;
}
