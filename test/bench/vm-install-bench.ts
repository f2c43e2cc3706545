// `npm run bench:vm` (as root): the install time of a 256 MiB rootfs image (mixed random and
// compressible data, as bench:install uses) in the virtual device (test/vm), through usb-updater
// (a FAT32 stick plugged in, the daemon streams the checked bytes into the client) and through a bare
// `mender install FILE` from the same mounted stick, in the same VM. It asserts nothing: it prints
// both times and their ratio. reboot.mode is set to never for the run, and `mender rollback`
// undoes each install, so both start from the same state.

import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { deviceImage } from '../vm/device-image.js';
import { daemonLine, waitReady } from '../vm/guest-facts.js';
import { DEVICE_TYPE, SIGN_KEY } from '../vm/guest-files.js';
import { fat32Stick } from '../vm/stick-images.js';
import { VirtualDevice } from '../vm/virtual-device.js';
import { payloadFiles } from './install-setup.js';

const NAME = 'vm-9.0';
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const dir = await mkdtemp('/tmp/usb-updater-vm-bench-');
const image = await deviceImage();
const artifact = join(dir, `${NAME}.mender`);
await writeRootfsArtifact({ name: NAME, output: artifact, deviceTypes: [DEVICE_TYPE], signKey: SIGN_KEY, imageMiB: 256, files: payloadFiles(256) });
const device = await VirtualDevice.create(image, dir);
try {
  const boot = await device.boot();
  const { agent } = await waitReady(boot);
  let mark = boot.qemu.console.mark();
  await agent.check("sed -i 's/^  mode: immediate$/  mode: never/' /etc/usb-updater/config.yaml");
  await boot.qemu.console.waitFor(daemonLine('config reloaded'), 120_000, mark);
  mark = boot.qemu.console.mark();
  await device.plug(await fat32Stick(join(dir, 'stick.img'), 'BENCH', 'BENCH-0001', [artifact]), 'bench');
  const started = await boot.qemu.console.waitFor(daemonLine('phase installing'), 300_000, mark);
  const done = await boot.qemu.console.waitFor(daemonLine(`usb-updater: installed ${NAME}`), 900_000, mark);
  const ours = done.at - started.at;
  await agent.check('mender rollback');
  const bare = await agent.check(`s=$(date +%s%N); mender install /run/usb-updater/media/sda1/${NAME}.mender >/dev/null 2>&1 || exit 1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`, 900_000);
  const theirs = Number(bare.trim());
  await agent.check('mender rollback');
  process.stdout.write([
    '| install of a 256 MiB rootfs in the VM (TCG) | wall |',
    '|---|---|',
    `| usb-updater ("phase installing" → "installed", guest console times) | ${seconds(ours)} |`,
    `| mender install FILE (same stick, same VM) | ${seconds(theirs)} |`,
    `| ratio ours/theirs | ${(ours / theirs).toFixed(2)} |`,
  ].join('\n') + '\n');
  await device.powerOff();
} finally {
  await device.dispose();
  await rm(dir, { recursive: true, force: true });
}
