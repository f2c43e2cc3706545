// The A/B device simulator: a Mender device with two root partitions, a U-Boot environment and a
// bootloader, on which the real `mender` 3.4 client installs rootfs images, reboots, commits and rolls
// back. It follows the recipe of /work/shared/MENDER-FACTS.md; every mount and process of a device
// lives in namespaces of its own, and destroy() leaves no loop device, mount, process or file behind.
//
// The device, on the host, in `root`:
//   partA.img, partB.img  the root partitions, attached to two loop devices
//   uboot/uboot.env       the U-Boot environment (mkenvimage), read and written with fw_printenv/fw_setenv
//   data/                 the persistent data partition (/data; the client's store is /data/mender)
// A boot is `unshare --mount --pid --fork`, whose pid 1 (a shell that lives as long as the boot) builds:
//   /dev   a private tmpfs with null, zero, random…, and the partitions as /dev/mmcblk0p2 (A) and
//          /dev/mmcblk0p3 (B): stable names, so mender.conf and artifacts are the same on every
//          simulated device, whatever loop devices the host hands out
//   /      the partition `mender_boot_part` names, mounted (ext4) from its /dev node, so the client's
//          own active-partition detection works unchanged
//   /usr (ro), /sys (ro), /tmp (the host's), /data, /uboot (the env file's folder), this repository
//   at its own absolute path (ro), /proc of the boot's pid namespace with `boot_id` replaced, and
//   /run: a fresh tmpfs each boot.
// Commands run in it through `nsenter` + `chroot` + `setsid`: each is its own process group, so
// kill() reaches what it started, and the boot's end (reboot, power cut, destroy) kills every process
// of the boot at once, like a real reset: the pid namespace dies with its pid 1 (ab-boot.ts).
// Between boots the bootloader step (boot-env.ts) runs, as U-Boot's bootcount (CONFIG_BOOTCOUNT_ENV)
// and meta-mender's altbootcmd do: with upgrade_available=1, bootcount += 1; past bootlimit, the
// other partition becomes mender_boot_part again and upgrade_available=0. A partition that does not boot
// (not ext4, or a mount point missing) is a failed boot attempt: the bootloader step runs again, so an
// unbootable update falls back by itself, as on a device with a watchdog.
//
// Use (every method is documented on AbDevice below):
//   await withAbDevice({ deviceType: 'dev', artifactName: 'release-1' }, async (device) => {
//     await mender(device, ['install', '--reboot-exit-code', artifact]);  // 4, B written, env updated
//     await device.reboot();                  // bootloader step, new boot: activePartition() === 'B'
//     await mender(device, ['commit']);
//     const daemon = device.spawn('node', [`${REPO}dist/src/cli/bin.js`, …]);  // runs until it ends
//     await device.powerCut();                // SIGKILL to the whole boot, bootloader step, new boot
//   });                                       // destroy(), also when the work throws
// Host paths under /tmp are the same inside (where tests write artifacts); /tmp is thus shared by
// all devices and survives reboots: device state belongs in /data, scratch in /run. reboot() is
// clean (SIGTERM to every process of the boot, a grace time, then the end); powerCut() is not.
// A process inside asks for a reboot by running REBOOT_COMMAND (see rebootRequested()). Never run
// `reboot` or `systemctl` in a device: /run is private, so they should find no init to talk to, but
// that was not tried here.
// stdin (`input`) reaches the command as a socket, as from any Node parent: `mender install
// /dev/stdin` cannot open that (ENXIO) and needs a real pipe: `sh -c 'cat | mender install /dev/stdin'`.
// spawn() with `input: 'open'` hands stdin to the caller, to stream an artifact in and stop mid-way.
//
// Not simulated: losing unwritten data on a power cut (the kernel still flushes the page cache of a
// killed boot), kernels, init systems and service managers.

import { spawnSync } from 'node:child_process';
import { randomUUID, createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Boot, BootFailed, sleep, type BootProcess, type BootRecord, type EndOptions, type RunOptions, type SpawnOptions } from './ab-boot.js';
import { BootEnv, bootloaderStep, partitionOf, type BootEnvValues } from './boot-env.js';
import { needsSetUp, needsTool } from '../skip/fixtures.js';
import { runProcess, type ProcessResult } from '../harness/process.js';
import { BOOT_ENV_DIR, BOOT_ENV_FILE, PARTITION_NUMBER, writeRootfsImage, type Partition } from './rootfs-image.js';

export { REBOOT_COMMAND, type BootProcess, type BootRecord, type RunOptions, type SpawnOptions } from './ab-boot.js';
export { bootloaderStep } from './boot-env.js';
export type { Partition } from './rootfs-image.js';

export interface AbDeviceOptions {
  /** `device_type` in /data/mender/device_type. */
  deviceType: string;
  /** The image on partition A at first boot. */
  artifactName: string;
  /** Size of each root partition (default 16 MiB). Artifacts' images must not be larger. */
  partitionMiB?: number;
  /** U-Boot `bootlimit` (default 1: the first boot of an update is its only try). */
  bootlimit?: number;
  /** Where the device's folder is made (default the OS temp folder). */
  workDir?: string;
  /** PEM public key: the initial image's mender.conf then sets ArtifactVerifyKey. */
  verifyKeyPem?: string;
  /** More files on the initial image, by absolute path. */
  files?: Readonly<Record<string, string | Buffer>>;
  /** Symbolic links on the initial image, by absolute path, to their targets. */
  links?: Readonly<Record<string, string>>;
}

export type RebootOptions = EndOptions;

export interface AbDevice {
  /** The host folder holding the partition images, the env file and the data partition. */
  readonly root: string;
  /** The loop devices behind A and B, on the host. */
  readonly loopDevices: Readonly<Record<Partition, string>>;
  /** Runs `command args` in the current boot and collects its output; a signal gives 128 + its number. */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<ProcessResult>;
  /** Starts `command args` in the current boot and returns at once (daemons, or a kill mid-install). */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): BootProcess;
  /** Ends the current boot, runs the bootloader step and boots again (until a partition comes up). */
  reboot(options?: RebootOptions): Promise<void>;
  /**
   * Resolves once a process of the current boot ran REBOOT_COMMAND (`/run/ab-device/reboot`, which
   * returns at once, like `systemctl reboot`); rejects if the boot ends first. The caller then
   * reboots (or power-cuts) the device: the simulator never reboots by itself.
   */
  rebootRequested(): Promise<void>;
  /** reboot({ powerCut: true }). */
  powerCut(): Promise<void>;
  /** The U-Boot environment, as fw_printenv prints it. */
  env(): Promise<BootEnvValues>;
  /** The partition of the current boot. */
  activePartition(): Partition;
  /** SHA-256 of a whole partition, read from its block device. */
  partitionSha256(which: Partition): Promise<string>;
  /** This boot's id: /proc/sys/kernel/random/boot_id inside the device. */
  bootId(): string;
  /** Every boot attempt so far, the first boot included, oldest first. */
  boots(): readonly BootRecord[];
  /** Ends the boot, detaches the loop devices once nothing uses them, removes `root`. Idempotent. */
  destroy(): Promise<void>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The file a loop device reads from; null once it is detached. */
function backingFile(loop: string): string | null {
  try {
    return readFileSync(`/sys/block/${loop.replace('/dev/', '')}/loop/backing_file`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Devices not yet destroyed, so that an exiting test process still detaches their loop devices (the
 * boots themselves end with node: their pid 1 reads node's pipe). One set per process on purpose.
 */
const live = new Set<Device>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const device of live) device.destroySync();
  });
}

class Device implements AbDevice {
  readonly loopDevices: Record<Partition, string> = { A: '', B: '' };
  private readonly history: BootRecord[] = [];
  private boot: Boot | null = null;
  private bootEnv: BootEnv | null = null;
  private destroyed: Promise<void> | null = null;

  constructor(readonly root: string) {}

  async create(options: AbDeviceOptions): Promise<void> {
    const partitionMiB = options.partitionMiB ?? 16;
    await writeFile(join(this.root, 'owner'), `${process.pid}\n`);
    for (const dir of ['mnt', BOOT_ENV_DIR, 'data/mender']) await mkdir(join(this.root, dir), { recursive: true });
    await writeRootfsImage(join(this.root, 'partA.img'), partitionMiB, {
      name: options.artifactName,
      ...(options.verifyKeyPem === undefined ? {} : { verifyKeyPem: options.verifyKeyPem }),
      ...(options.files === undefined ? {} : { files: options.files }),
      ...(options.links === undefined ? {} : { links: options.links }),
    });
    await writeFile(join(this.root, 'partB.img'), '');
    await truncate(join(this.root, 'partB.img'), partitionMiB * 1024 * 1024);
    for (const which of ['A', 'B'] as const) {
      const attach = await runProcess('losetup', ['--find', '--show', join(this.root, `part${which}.img`)]);
      if (attach.code !== 0) throw new Error(`ab-device: losetup: ${attach.output}`);
      this.loopDevices[which] = attach.stdout.trim();
    }
    await writeFile(join(this.root, 'data/mender/device_type'), `device_type=${options.deviceType}\n`);
    this.bootEnv = await BootEnv.create(join(this.root, BOOT_ENV_FILE), join(this.root, 'fw_env.config'), join(this.root, 'uboot.txt'), {
      mender_boot_part: PARTITION_NUMBER.A,
      mender_boot_part_hex: Number(PARTITION_NUMBER.A).toString(16),
      upgrade_available: '0',
      bootcount: '0',
      bootlimit: String(options.bootlimit ?? 1),
    });
    await this.bootUntilUp();
  }

  private get envFile(): BootEnv {
    if (this.bootEnv === null) throw new Error('ab-device: the device has no boot environment yet');
    return this.bootEnv;
  }

  env(): Promise<BootEnvValues> {
    return this.envFile.read();
  }

  activePartition(): Partition {
    return this.current().record.partition;
  }

  bootId(): string {
    return this.current().record.id;
  }

  boots(): readonly BootRecord[] {
    return [...this.history];
  }

  private current(): Boot {
    if (this.boot === null) throw new Error('ab-device: the device is not running (destroyed, or a boot failed)');
    this.boot.checkRunning();
    return this.boot;
  }

  async partitionSha256(which: Partition): Promise<string> {
    // The block device, not the image file: what the client wrote through it is there at once.
    const hash = createHash('sha256');
    await pipeline(createReadStream(this.loopDevices[which]), hash);
    return hash.digest('hex');
  }

  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): BootProcess {
    return this.current().spawn(command, args, options);
  }

  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    return this.current().run(command, args, options);
  }

  rebootRequested(): Promise<void> {
    return this.current().rebootRequested();
  }

  async reboot(options: RebootOptions = {}): Promise<void> {
    await this.endBoot(options);
    await this.bootUntilUp();
  }

  powerCut(): Promise<void> {
    return this.reboot({ powerCut: true });
  }

  private async endBoot(options: RebootOptions): Promise<void> {
    const boot = this.boot;
    this.boot = null;
    await boot?.end(options);
  }

  /** The bootloader step, then a boot; a partition that does not come up is another attempt (see top). */
  private async bootUntilUp(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const env = await this.env();
      const step = bootloaderStep(env);
      if (Object.keys(step.changes).length > 0) await this.envFile.write(step.changes);
      const partition = partitionOf(step.changes.mender_boot_part ?? env.mender_boot_part);
      const record: BootRecord = { id: randomUUID(), partition, bootcount: step.bootcount, fellBack: step.fellBack, failure: null };
      this.history.push(record);
      try {
        this.boot = await Boot.start(record, {
          mountPoint: join(this.root, 'mnt'),
          loops: this.loopDevices,
          dataDir: join(this.root, 'data'),
          envDir: join(this.root, BOOT_ENV_DIR),
        });
        return;
      } catch (error) {
        if (!(error instanceof BootFailed)) throw error;
        record.failure = error.message;
        // Without a pending update the bootloader has nothing to fall back to: a bricked device.
        if (env.upgrade_available !== '1') {
          throw new Error(`ab-device: partition ${partition} does not boot and no update is pending (${error.message})`, { cause: error });
        }
        if (attempt > 100) throw new Error(`ab-device: no partition boots (${error.message})`, { cause: error });
      }
    }
  }

  destroy(): Promise<void> {
    this.destroyed ??= this.tearDown();
    return this.destroyed;
  }

  private async tearDown(): Promise<void> {
    try {
      await this.endBoot({ powerCut: true });
    } finally {
      await this.detachLoops();
      await rm(this.root, { recursive: true, force: true });
      live.delete(this);
    }
  }

  /**
   * `losetup -d` on a device still mounted (a dying namespace's last mount) only marks it to detach
   * on last close, so wait until the kernel has really let it go.
   */
  private async detachLoops(): Promise<void> {
    const loops = Object.values(this.loopDevices).filter((loop) => loop !== '');
    for (const loop of loops) {
      if (backingFile(loop)?.startsWith(this.root)) await runProcess('losetup', ['--detach', loop]);
    }
    for (let waited = 0; loops.some((loop) => backingFile(loop)?.startsWith(this.root)); waited += 20) {
      if (waited > 30_000) throw new Error(`ab-device: loop devices ${loops.join(' ')} still attached`);
      await sleep(20);
    }
  }

  /** For the exit hook: nothing asynchronous runs any more. */
  destroySync(): void {
    this.boot?.killNow();
    for (const loop of Object.values(this.loopDevices)) {
      if (loop !== '' && backingFile(loop)?.startsWith(this.root)) spawnSync('losetup', ['--detach', loop]);
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Removes devices whose test process died without destroy() or its exit hook (SIGKILL, a crash):
 * their boots ended with that process, but their loop devices and folders stayed.
 */
function sweepAbandoned(base: string): void {
  for (const name of readdirSync(base)) {
    if (!name.startsWith('ab-device-')) continue;
    const dir = join(base, name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    } catch {
      continue; // Being created right now, or not ours.
    }
    if (!Number.isInteger(owner) || owner <= 0 || pidAlive(owner)) continue;
    for (const entry of existsSync('/sys/block') ? readdirSync('/sys/block') : []) {
      if (entry.startsWith('loop') && backingFile(`/dev/${entry}`)?.startsWith(dir)) spawnSync('losetup', ['--detach', `/dev/${entry}`]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Makes a device with `options.artifactName` on A and boots it. Call destroy() (or use withAbDevice). */
export async function createAbDevice(options: AbDeviceOptions): Promise<AbDevice> {
  const base = options.workDir ?? tmpdir();
  sweepAbandoned(base);
  installExitHook();
  const device = new Device(await mkdtemp(join(base, 'ab-device-')));
  live.add(device);
  try {
    await device.create(options);
  } catch (error) {
    await device.destroy();
    throw error;
  }
  return device;
}

/** Runs `work` on a fresh device and destroys it afterwards, whether `work` succeeded or threw. */
export async function withAbDevice<T>(options: AbDeviceOptions, work: (device: AbDevice) => Promise<T>): Promise<T> {
  const device = await createAbDevice(options);
  try {
    return await work(device);
  } finally {
    await device.destroy();
  }
}

/** Runs `mender ARGS` in the device's current boot (no syslog: the device has none). */
export function mender(device: AbDevice, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  return device.run('mender', ['--no-syslog', ...args], options);
}

function setUpProblem(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (loop devices, mount and pid namespaces)';
  if (!existsSync('/dev/loop-control')) return 'needs loop devices (/dev/loop-control is missing)';
  if (spawnSync('unshare', ['--mount', '--propagation', 'private', '--pid', '--fork', 'true']).status !== 0) {
    return 'needs permission to create mount and pid namespaces (unshare --mount --pid failed)';
  }
  return null;
}

/** Skip reason when the simulator cannot run here; throws in CI like needsTool. */
export function needsAbDevice(): string | false {
  const tools: Array<[string, string]> = [
    ['losetup', 'mount'], ['mkfs.ext4', 'e2fsprogs'], ['mkenvimage', 'u-boot-tools'], ['fw_printenv', 'libubootenv-tool'],
    ['fw_setenv', 'libubootenv-tool'], ['mender', 'mender-client'], ['mender-artifact', 'mender-artifact'],
    ['unshare', 'util-linux'], ['nsenter', 'util-linux'], ['setsid', 'util-linux'], ['chroot', 'coreutils'],
  ];
  for (const [tool, apt] of tools) {
    const missing = needsTool(tool, apt);
    if (missing) return missing;
  }
  return needsSetUp(setUpProblem(), 'the A/B device simulator');
}
