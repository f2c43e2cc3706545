// The policy agrees with the real Mender client: for every artifact and device below, `check` finds
// no device-compatibility reason exactly when `mender install` (client 3.4, on a throw-away device
// with the same facts) accepts the artifact, and it names the same kind of reason when the client
// refuses. Artifacts are written by the real mender-artifact.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clientAccepts, needsMenderDevice, type DeviceFacts } from '../support/artifacts/mender-device.js';
import { runCli } from '../support/harness/run-cli.js';
import { writeSingleFileArtifact, type SingleFileArtifactSpec } from '../support/artifacts/single-file-artifact.js';

const skip = needsMenderDevice();

type Spec = Omit<SingleFileArtifactSpec, 'output' | 'destDir' | 'name'>;

const ARTIFACTS: Record<string, Spec> = {
  'plain-dev-a': { deviceTypes: ['dev-a'] },
  'two-types': { deviceTypes: ['dev-b', 'dev-a'] },
  'dev-b-only': { deviceTypes: ['dev-b'] },
  'needs-factory-1': { deviceTypes: ['dev-a'], dependsNames: ['factory-1'] },
  'needs-any-of-names': { deviceTypes: ['dev-a', 'dev-b'], dependsNames: ['other-1', 'factory-1'] },
  'needs-group-a': { deviceTypes: ['dev-a'], dependsGroups: ['grp-a'] },
  'needs-custom-v1': { deviceTypes: ['dev-a', 'dev-b'], depends: { 'custom.key': 'v1' } },
  'needs-rootfs-2.0': { deviceTypes: ['dev-a'], depends: { 'rootfs-image.version': '2.0' } },
  'payload-needs-name': { deviceTypes: ['dev-a'], depends: { artifact_name: 'factory-1' } },
  'header-and-payload-name': { deviceTypes: ['dev-a'], dependsNames: ['factory-1'], depends: { artifact_name: 'factory-1' } },
};

const DEVICES: Record<string, DeviceFacts> = {
  'dev-a factory': { deviceType: 'dev-a', provides: { artifact_name: 'factory-1' } },
  'dev-a full': { deviceType: 'dev-a', provides: { artifact_name: 'factory-1', artifact_group: 'grp-a', 'custom.key': 'v1', 'rootfs-image.version': '2.0' } },
  'dev-b other': { deviceType: 'dev-b', provides: { artifact_name: 'other-1', artifact_group: 'grp-b', 'custom.key': 'v2' } },
};

const COMPAT = new Set(['DEVICE_TYPE_MISMATCH', 'DEPENDS_NOT_MET', 'DEPENDS_CONFLICT']);

interface CheckJson {
  candidates: { reasons: { code: string; message: string }[] }[];
}

describe('policy agrees with the Mender client on device compatibility', { skip }, () => {
  let work = '';
  let config = '';

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'policy-parity-'));
    config = join(work, 'config.yaml');
    // Only compatibility is compared: every other rule is opened up.
    writeFileSync(config, 'signature:\n  required: false\nartifacts:\n  payload_types: [single-file]\nversioning:\n  allow_downgrade: true\n  allow_reinstall: true\n  pattern: ".*"\n  scheme: dotted\n');
    await Promise.all(
      Object.entries(ARTIFACTS).map(([name, spec]) => writeSingleFileArtifact({ ...spec, name: `${name}-1`, output: join(work, `${name}.mender`), destDir: join(work, `dest-${name}`) })),
    );
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // The versioning pattern takes the whole name, which is not a dotted version: NO_VERSION is the
  // one non-compatibility reason every candidate gets, and it is ignored below.
  async function policyVerdict(artifact: string, device: DeviceFacts): Promise<string[]> {
    const provides = Object.entries(device.provides).flatMap(([k, v]) => ['--provides', `${k}=${v}`]);
    const result = await runCli(['check', '--json', '-c', config, '--device-type', device.deviceType, ...provides, artifact]);
    const json = JSON.parse(result.stdout) as CheckJson;
    const reasons = json.candidates[0]?.reasons ?? [];
    return reasons.map((r) => r.code).filter((code) => COMPAT.has(code));
  }

  for (const artifactName of Object.keys(ARTIFACTS)) {
    it(`${artifactName}: same verdict on every device`, async () => {
      const path = join(work, `${artifactName}.mender`);
      // One device at a time: the same artifact on two devices at once would race on its destination file.
      for (const [deviceName, device] of Object.entries(DEVICES)) {
        const ours = await policyVerdict(path, device);
        const client = await clientAccepts(path, device);
        const where = `${artifactName} on ${deviceName}: policy ${JSON.stringify(ours)}, client rc ${client.exitCode} ${client.errors.at(-1) ?? ''}`;
        assert.equal(ours.length === 0, client.accepted, where);
        if (client.rejectedFor === 'device-type') assert.ok(ours.includes('DEVICE_TYPE_MISMATCH'), where);
        if (client.rejectedFor === 'depends') assert.ok(ours.includes('DEPENDS_NOT_MET'), where);
      }
    });
  }
});
