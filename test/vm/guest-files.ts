// The files a device maker adds to the image besides the package: where the partitions are
// (mender.conf, fw_env.config, fstab), the verify keys, the journal on the serial console, the
// device's config, and for the harness only a command agent on a virtio port (see guest-agent.ts).

import { readFileSync } from 'node:fs';
import { REPO, KEYS } from '../support/skip/fixtures.js';
import { GUEST_ENV_CONFIG, PART } from './disk-layout.js';

export const DEVICE_TYPE = 'usb-updater-vm';
export const FIRST_ARTIFACT = 'vm-1.0';
/** The test key pair: the private key signs the artifacts, the device trusts the public one. */
export const SIGN_KEY = `${KEYS}ec-p256.key`;
const VERIFY_KEY = readFileSync(`${KEYS}ec-p256.pub`, 'utf8');
/** Which image booted: written into every root filesystem made here. */
export const RELEASE_FILE = '/etc/usb-updater-vm/release';
/** The health check passes only when this file is in the booted image. */
export const HEALTHY_FILE = '/etc/usb-updater-vm/healthy';
export const AGENT_PORT = 'vm-agent';

/**
 * media.mount_timeout as the shipped config sets it (issue 17), which the device keeps: on a busy host
 * a good stick was mounted about 6 s after its disk appeared (10-12 s after the plug), so a shorter
 * time would judge good sticks unreadable there.
 */
export const MOUNT_TIMEOUT_S = Number(/^ {2}mount_timeout: (\d+)s$/m.exec(readFileSync(`${REPO}config/config.yaml`, 'utf8'))?.[1] ?? NaN);

/** The shipped config, with one required health check on a file of the image, and diagnostics on (issue 17). */
function deviceConfig(): string {
  const shipped = readFileSync(`${REPO}config/config.yaml`, 'utf8');
  if (!Number.isInteger(MOUNT_TIMEOUT_S)) throw new Error('vm: config/config.yaml no longer has "  mount_timeout: <N>s"; update guest-files.ts');
  const checks = `  checks:\n    - name: image-marker\n      type: file\n      path: ${HEALTHY_FILE}\n      retries: 0\n`;
  if (!shipped.includes('  checks: []\n')) throw new Error('vm: config/config.yaml no longer has "  checks: []"; update guest-files.ts');
  if (!shipped.includes('diagnostics:\n  enabled: false\n')) throw new Error('vm: config/config.yaml no longer has "diagnostics:\\n  enabled: false"; update guest-files.ts');
  return shipped.replace('  checks: []\n', checks).replace('diagnostics:\n  enabled: false\n', 'diagnostics:\n  enabled: true\n');
}

/**
 * The harness's way in: a shell loop on a virtio port (not a tty: no echo, no line discipline).
 * A request is `ID BASE64(script)`, the answer `ID EXIT-CODE BASE64(output)`; one at a time.
 */
const AGENT = `#!/bin/sh
port=/dev/virtio-ports/${AGENT_PORT}
until [ -e "$port" ]; do sleep 0.2; done
exec 3<>"$port"
echo "vm-agent ready" >&3
while IFS=' ' read -r id script <&3; do
  printf '%s' "$script" | base64 -d > /run/vm-agent.sh
  timeout 300 sh /run/vm-agent.sh > /run/vm-agent.out 2>&1 < /dev/null
  printf '%s %s %s\\n' "$id" "$?" "$(base64 -w0 /run/vm-agent.out)" >&3
done
`;

const AGENT_UNIT = `[Unit]
Description=usb-updater test harness: command agent on virtio port ${AGENT_PORT}
DefaultDependencies=no
After=systemd-udevd.service

[Service]
ExecStart=/usr/local/sbin/vm-agent
Restart=always

[Install]
WantedBy=sysinit.target
`;

/** Path inside the image → content (mode 0644 unless listed in EXECUTABLE). */
export function guestFiles(): Record<string, string> {
  return {
    '/etc/hostname': 'usb-updater-vm\n',
    '/etc/fstab': `/dev/vda${PART.data} /data ext4 defaults,noatime 0 2\n`,
    '/etc/fw_env.config': GUEST_ENV_CONFIG,
    '/etc/mender/mender.conf': `${JSON.stringify({ RootfsPartA: `/dev/vda${PART.A}`, RootfsPartB: `/dev/vda${PART.B}`, ArtifactVerifyKey: '/etc/mender/artifact-verify-key.pem' }, null, 2)}\n`,
    '/etc/mender/artifact-verify-key.pem': VERIFY_KEY,
    '/etc/mender/artifact_info': `artifact_name=${FIRST_ARTIFACT}\n`,
    '/etc/usb-updater/keys/artifact-verify.pem': VERIFY_KEY,
    '/etc/usb-updater/config.yaml': deviceConfig(),
    '/etc/systemd/journald.conf.d/usb-updater-vm.conf': '[Journal]\nForwardToConsole=yes\nTTYPath=/dev/ttyS0\nMaxLevelConsole=info\n',
    [RELEASE_FILE]: `${FIRST_ARTIFACT}\n`,
    [HEALTHY_FILE]: '',
    '/usr/local/sbin/vm-agent': AGENT,
    '/etc/systemd/system/vm-agent.service': AGENT_UNIT,
  };
}

export const EXECUTABLE = ['/usr/local/sbin/vm-agent'];
/** The data partition's content: the client's store with the device type. */
export const DATA_FILES: Record<string, string> = { '/mender/device_type': `device_type=${DEVICE_TYPE}\n` };
