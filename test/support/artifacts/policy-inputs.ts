// Test-only builders for decide()'s inputs: ArtifactInfo objects where every field a test does not
// name holds a plain acceptable value (signed and verified, one rootfs-image payload, for dev-a), a
// device, a policy built by the real schema from its defaults, and the three kinds of candidate.

import type { z } from 'zod';
import type { ArtifactInfo, Payload } from '../../../src/artifact/index.js';
import { configSchema, type Candidate, type Config, type DeviceFacts, type Reason } from '../../../src/policy/index.js';

export const DEVICE_TYPE = 'dev-a';
export const RUNNING = 'release-1.0';

/** A checksum that differs per name, so two builders with different names never look like copies. */
const checksumOf = (text: string): string => Buffer.from(text).toString('hex').padEnd(64, '0').slice(0, 64);

export function payload(over: Partial<Payload> = {}): Payload {
  return {
    type: 'rootfs-image',
    artifact_provides: {},
    artifact_depends: {},
    clears_artifact_provides: [],
    meta_data: null,
    files: [{ name: 'rootfs.ext4', size: null, checksum: checksumOf(over.type ?? 'rootfs-image'), augmented: false }],
    augmented: { type: false, artifact_provides: [], artifact_depends: [], meta_data: false },
    ...over,
  };
}

/** An artifact named `name` for dev-a, signed and verified, with one rootfs-image payload. */
export function artifactInfo(name: string, over: Partial<ArtifactInfo> = {}): ArtifactInfo {
  return {
    format_version: 3,
    name,
    group: null,
    device_types: [DEVICE_TYPE],
    artifact_provides: { artifact_name: name },
    artifact_depends: { device_type: [DEVICE_TYPE] },
    compression: 'gzip',
    signed: true,
    signature_verified: true,
    augmented: false,
    state_scripts: [],
    payloads: [payload({ files: [{ name: 'rootfs.ext4', size: null, checksum: checksumOf(name), augmented: false }] })],
    payloads_verified: false,
    manifest_sha256: '0'.repeat(64),
    ...over,
  };
}

/** A dev-a device whose provides are `provides` (by default it runs release-1.0). */
export function device(provides: Record<string, string> = { artifact_name: RUNNING }): DeviceFacts {
  return { deviceType: DEVICE_TYPE, provides };
}

export type PolicyInput = { [S in keyof z.input<typeof configSchema>]?: Partial<z.input<typeof configSchema>[S] & object> };

/** The defaults, plus `over` section by section; one key is listed so that signature.required holds. */
export function policy(over: PolicyInput = {}): Config {
  return configSchema.parse({ ...over, signature: { keys: ['/etc/usb-updater/release.pub'], ...over.signature } });
}

export const read = (path: string, info: ArtifactInfo, size: number | null = 4096): Candidate => ({ path, status: 'read', size, info });
export const skipped = (path: string, reason: Reason): Candidate => ({ path, status: 'skipped', reason });
export const failed = (path: string, reason: Reason): Candidate => ({ path, status: 'failed', size: 10, reason });
