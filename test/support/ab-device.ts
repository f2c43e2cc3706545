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
// of the boot at once, like a real reset: the pid namespace dies with its pid 1.
// Between boots the bootloader step runs, as U-Boot's bootcount (CONFIG_BOOTCOUNT_ENV) and
// meta-mender's altbootcmd do: with upgrade_available=1, bootcount += 1; past bootlimit, the other
// partition becomes mender_boot_part again and upgrade_available=0. A partition that does not boot
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
// Host paths under /tmp are the same inside (where tests write artifacts). A process inside asks for
// a reboot by running REBOOT_COMMAND (see rebootRequested()). Never run `reboot` or `systemctl` in
// a device: /run is private, so they should find no init to talk to, but that was not tried here.
// stdin (`input`) reaches the command as a socket, as from any Node parent: `mender install
// /dev/stdin` cannot open that (ENXIO) and needs a real pipe: `sh -c 'cat | mender install /dev/stdin'`.
// spawn() with `input: 'open'` hands stdin to the caller, to stream an artifact in and stop mid-way.
//
// Not simulated: losing unwritten data on a power cut (the kernel still flushes the page cache of a
// killed boot), kernels, init systems and service managers.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID, createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { REPO, needsSetUp, needsTool } from './fixtures.js';
import { exitCodeOf, feedInput, runProcess, type ProcessInput, type ProcessResult } from './process.js';
import { BOOT_ENV_DIR, BOOT_ENV_FILE, BOOT_ENV_SIZE, PARTITION_NUMBER, writeRootfsImage } from './rootfs-image.js';

export type Partition = 'A' | 'B';

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
}

export interface RunOptions {
  /** stdin: bytes, or a host file streamed in. Nothing: stdin is empty. */
  input?: ProcessInput;
  /** Kill the command (and its process group) and reject after this long (default 60 s). */
  timeoutMs?: number;
  /** Added to the boot's environment (PATH, HOME=/root, LANG=C.UTF-8). */
  env?: Readonly<Record<string, string>>;
  /** Working directory inside the device (default /). */
  cwd?: string;
}

export interface SpawnOptions extends Omit<RunOptions, 'timeoutMs' | 'input'> {
  /** As in run(), or 'open': stdin stays open and is BootProcess.stdin, for the caller to write and end. */
  input?: ProcessInput | 'open';
}

/** A command running in the current boot. */
export interface BootProcess {
  /** Host pid of the nsenter that started it (the command itself runs one level below). */
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The command's stdin with `input: 'open'`; null otherwise (it was already fed and ended). */
  readonly stdin: Writable | null;
  /** Resolves when the command ended, by itself, by kill() or with its boot. */
  readonly exited: Promise<ProcessResult>;
  /** What it printed so far. */
  output(): { stdout: string; stderr: string };
  /** Sends `signal` (default SIGTERM) to the command's process group inside the device. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface BootRecord {
  id: string;
  partition: Partition;
  /** bootcount after the bootloader step of this boot. */
  bootcount: number;
  /** The bootloader's altbootcmd ran before this boot: it switched back to the other partition. */
  fellBack: boolean;
  /** null when the partition came up; else why it did not (the next attempt follows at once). */
  failure: string | null;
}

export interface RebootOptions {
  /** Kill every process at once (SIGKILL), as a power cut does. Default: SIGTERM, then SIGKILL after graceMs. */
  powerCut?: boolean;
  /** How long a clean reboot waits for the commands it sent SIGTERM (default 5 s). */
  graceMs?: number;
}

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
  env(): Promise<Record<string, string>>;
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

/** The boot's environment inside; the host's is not passed in. */
const BOOT_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };

/** Inside the device: asks the simulator for a reboot (see rebootRequested). */
export const REBOOT_COMMAND = '/run/ab-device/reboot';

/** Exit code of the boot script for a partition that does not boot (anything else is a simulator fault). */
const UNBOOTABLE = 3;

/**
 * pid 1 of a boot. Arguments: mount point, partition node to boot, A major minor, B major minor,
 * data folder, env folder, repository, boot id. It prints `ready` and then lives until its stdin
 * closes (the simulator ends the boot by killing it; if node itself dies, the closed pipe ends it).
 * `mount -n`: the host's /run/mount/utab is not this namespace's business.
 */
const BOOT_SCRIPT = `set -eu
root=$1 part=$2 data=$7 bootenv=$8 repo=$9 boot_id=\${10}
mount -n -t tmpfs -o mode=0755,size=256k ab-device-dev /dev
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/full c 1 7
mknod -m 666 /dev/random c 1 8
mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/tty c 5 0
ln -s /proc/self/fd /dev/fd
ln -s fd/0 /dev/stdin
ln -s fd/1 /dev/stdout
ln -s fd/2 /dev/stderr
mknod -m 660 /dev/mmcblk0p${PARTITION_NUMBER.A} b $3 $4
mknod -m 660 /dev/mmcblk0p${PARTITION_NUMBER.B} b $5 $6
if ! mount -n -t ext4 "$part" "$root" 2>/dev/null; then
  echo "unbootable: $part holds no ext4 file system"; exit ${UNBOOTABLE}
fi
for dir in dev proc sys usr tmp run data ${BOOT_ENV_DIR.slice(1)} "\${repo#/}"; do
  if [ ! -d "$root/$dir" ]; then echo "unbootable: no mount point /$dir"; exit ${UNBOOTABLE}; fi
done
mount -n --bind /dev "$root/dev"
mount -n -t proc proc "$root/proc"
mount -n --bind /sys "$root/sys"
mount -n -o remount,bind,ro "$root/sys"
mount -n --bind /usr "$root/usr"
mount -n -o remount,bind,ro "$root/usr"
mount -n --bind /tmp "$root/tmp"
mount -n -t tmpfs -o mode=0755,size=4m ab-device-run "$root/run"
mount -n --bind "$data" "$root/data"
mount -n --bind "$bootenv" "$root${BOOT_ENV_DIR}"
mount -n --bind "$repo" "$root$repo"
mount -n -o remount,bind,ro "$root$repo"
mkdir "$root/run/ab-device"
printf '%s\\n' "$boot_id" > "$root/run/ab-device/boot_id"
mount -n --bind "$root/run/ab-device/boot_id" "$root/proc/sys/kernel/random/boot_id"
mkfifo -m 600 "$root/run/ab-device/control"
printf '#!/bin/sh\\n%s\\necho reboot > /run/ab-device/control\\n' \
  '# Asks the A/B device simulator for a reboot and returns at once, as systemctl reboot does.' > "$root${REBOOT_COMMAND}"
chmod 755 "$root${REBOOT_COMMAND}"
while :; do cat "$root/run/ab-device/control"; done &
echo ready
while read -r _; do :; done
`;

interface Boot {
  readonly record: BootRecord;
  /** unshare: exits when the boot's pid 1 does. */
  readonly unshare: ChildProcess;
  readonly unshareExit: Promise<void>;
  /** Host pid of the boot's pid 1. */
  readonly initPid: number;
  /** `reboot-request` when a process ran REBOOT_COMMAND; `end` when the boot is over. */
  readonly events: EventEmitter;
  rebootRequested: boolean;
  /** pid 1 is gone, whoever ended it. */
  ended: boolean;
}

class BootFailed extends Error {}

/** Linux dev_t → major, minor (glibc's encoding). */
function majorMinor(rdev: bigint): [string, string] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [major.toString(), minor.toString()];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pids `pid` forked (needs CONFIG_PROC_CHILDREN, as every distribution kernel has). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
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

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Parses `fw_printenv` output: `name=value` lines, split at the first `=`. */
export function parseBootEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

/** The bootloader step, as U-Boot's bootcount and meta-mender's altbootcmd do it (see top). Pure. */
export function bootloaderStep(env: Readonly<Record<string, string>>): { changes: Record<string, string>; bootcount: number; fellBack: boolean } {
  if (env.upgrade_available !== '1') return { changes: {}, bootcount: 0, fellBack: false };
  const bootcount = Number(env.bootcount ?? '0') + 1;
  const bootlimit = Number(env.bootlimit ?? '0');
  const changes: Record<string, string> = { bootcount: String(bootcount) };
  // bootlimit 0 disables the limit in U-Boot.
  if (bootlimit > 0 && bootcount > bootlimit) {
    const back = env.mender_boot_part === PARTITION_NUMBER.A ? PARTITION_NUMBER.B : PARTITION_NUMBER.A;
    Object.assign(changes, { mender_boot_part: back, mender_boot_part_hex: Number(back).toString(16), upgrade_available: '0' });
    return { changes, bootcount, fellBack: true };
  }
  return { changes, bootcount, fellBack: false };
}

function partitionOf(bootPart: string | undefined): Partition {
  if (bootPart === PARTITION_NUMBER.A) return 'A';
  if (bootPart === PARTITION_NUMBER.B) return 'B';
  throw new Error(`ab-device: mender_boot_part=${String(bootPart)} names neither partition (${PARTITION_NUMBER.A}, ${PARTITION_NUMBER.B})`);
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
  private readonly processes = new Set<{ child: ChildProcess; closed: Promise<unknown> }>();
  private destroyed: Promise<void> | null = null;

  constructor(readonly root: string) {}

  private get mountPoint(): string {
    return join(this.root, 'mnt');
  }

  private get hostFwConfig(): string {
    return join(this.root, 'fw_env.config');
  }

  async create(options: AbDeviceOptions): Promise<void> {
    const partitionMiB = options.partitionMiB ?? 16;
    await writeFile(join(this.root, 'owner'), `${process.pid}\n`);
    for (const dir of ['mnt', 'uboot', 'data/mender']) await mkdir(join(this.root, dir), { recursive: true });
    await writeRootfsImage(join(this.root, 'partA.img'), partitionMiB, {
      name: options.artifactName,
      ...(options.verifyKeyPem === undefined ? {} : { verifyKeyPem: options.verifyKeyPem }),
      ...(options.files === undefined ? {} : { files: options.files }),
    });
    await writeFile(join(this.root, 'partB.img'), '');
    await truncate(join(this.root, 'partB.img'), partitionMiB * 1024 * 1024);
    for (const which of ['A', 'B'] as const) {
      const attach = await runProcess('losetup', ['--find', '--show', join(this.root, `part${which}.img`)]);
      if (attach.code !== 0) throw new Error(`ab-device: losetup: ${attach.output}`);
      this.loopDevices[which] = attach.stdout.trim();
    }
    await writeFile(join(this.root, 'data/mender/device_type'), `device_type=${options.deviceType}\n`);
    const defaults = {
      mender_boot_part: PARTITION_NUMBER.A,
      mender_boot_part_hex: Number(PARTITION_NUMBER.A).toString(16),
      upgrade_available: '0',
      bootcount: '0',
      bootlimit: String(options.bootlimit ?? 1),
    };
    await writeFile(join(this.root, 'uboot.txt'), Object.entries(defaults).map(([k, v]) => `${k}=${v}\n`).join(''));
    await this.check('mkenvimage', ['-s', `0x${BOOT_ENV_SIZE.toString(16)}`, '-o', join(this.root, BOOT_ENV_FILE), join(this.root, 'uboot.txt')]);
    await writeFile(this.hostFwConfig, `${join(this.root, BOOT_ENV_FILE)} 0x0000 0x${BOOT_ENV_SIZE.toString(16)}\n`);
    await this.bootUntilUp();
  }

  private async check(command: string, args: readonly string[], input?: Buffer): Promise<ProcessResult> {
    const result = await runProcess(command, args, input === undefined ? {} : { input });
    if (result.code !== 0) throw new Error(`ab-device: ${command} ${args.join(' ')} exited ${result.code}\n${result.output}`);
    return result;
  }

  async env(): Promise<Record<string, string>> {
    return parseBootEnv((await this.check('fw_printenv', ['-c', this.hostFwConfig])).stdout);
  }

  /**
   * One batch, as the client writes it, so the env is never half-updated. libubootenv 0.3.2 takes
   * `name=value` lines here and ignores U-Boot's `name value` form without an error, hence the check.
   */
  private async setEnv(changes: Readonly<Record<string, string>>): Promise<void> {
    const script = Object.entries(changes).map(([k, v]) => `${k}=${v}\n`).join('');
    await this.check('fw_setenv', ['-c', this.hostFwConfig, '-s', '-'], Buffer.from(script));
    const env = await this.env();
    for (const [k, v] of Object.entries(changes)) {
      if (env[k] !== v) throw new Error(`ab-device: fw_setenv did not set ${k}=${v} (it is ${String(env[k])})`);
    }
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
    if (this.boot.ended) throw new Error(`ab-device: boot ${this.boot.record.id} ended by itself (its pid 1 died)`);
    return this.boot;
  }

  async partitionSha256(which: Partition): Promise<string> {
    // The block device, not the image file: what the client wrote through it is there at once.
    const hash = createHash('sha256');
    await pipeline(createReadStream(this.loopDevices[which]), hash);
    return hash.digest('hex');
  }

  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): BootProcess {
    const boot = this.current();
    const env = Object.entries({ ...BOOT_ENV, ...options.env }).map(([k, v]) => `${k}=${v}`);
    // setsid: the command leads its own process group inside the boot, so kill() reaches everything
    // it started and never nsenter, which stays outside to pass the command's exit status on.
    const child = spawn('nsenter', [
      '--target', String(boot.initPid), '--mount', '--pid', '--',
      'chroot', this.mountPoint, '/usr/bin/setsid', '/usr/bin/env', '-i', '-C', options.cwd ?? '/', ...env, command, ...args,
    ], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    // EPIPE when the command ends while the caller still writes: its exit status tells why.
    if (options.input === 'open') child.stdin.on('error', () => undefined);
    else feedInput(child.stdin, options.input);
    const exited = new Promise<ProcessResult>((done, fail) => {
      child.on('error', fail);
      child.on('close', (code, signal) => done({ code: exitCodeOf(code, signal), signal, stdout, stderr, output: stdout + stderr }));
    });
    const entry = { child, closed: exited.catch(() => undefined) };
    this.processes.add(entry);
    void entry.closed.then(() => this.processes.delete(entry));
    return {
      pid: child.pid ?? -1,
      stdout: child.stdout,
      stderr: child.stderr,
      stdin: options.input === 'open' ? child.stdin : null,
      exited,
      output: () => ({ stdout, stderr }),
      kill: (signal: NodeJS.Signals = 'SIGTERM') => killInside(child, signal),
    };
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    const { timeoutMs = 60_000, ...rest } = options;
    const started = this.spawn(command, args, rest);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => {
        void started.kill('SIGKILL');
        const { stdout, stderr } = started.output();
        fail(new Error(`ab-device: ${command} ${args.join(' ')}: no answer within ${timeoutMs} ms\n${stdout}${stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([started.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async rebootRequested(): Promise<void> {
    const boot = this.current();
    if (boot.rebootRequested) return;
    await new Promise<void>((done, fail) => {
      const onEnd = (): void => fail(new Error(`ab-device: boot ${boot.record.id} ended without a reboot request`));
      boot.events.once('end', onEnd);
      boot.events.once('reboot-request', () => {
        boot.events.off('end', onEnd);
        done();
      });
    });
  }

  async reboot(options: RebootOptions = {}): Promise<void> {
    await this.endBoot(options);
    await this.bootUntilUp();
  }

  powerCut(): Promise<void> {
    return this.reboot({ powerCut: true });
  }

  /** Ends the current boot: every process of it is gone and its namespaces are released. */
  private async endBoot(options: RebootOptions): Promise<void> {
    const boot = this.boot;
    if (boot === null) return;
    this.boot = null;
    if (!options.powerCut && !boot.ended) {
      // Like a shutdown: SIGTERM to every process of the boot but pid 1 (kill -1 inside the pid
      // namespace), then the grace time for the commands started here to end.
      await runProcess('nsenter', ['--target', String(boot.initPid), '--mount', '--pid', '--', 'kill', '-TERM', '-1']);
      const grace = new Promise<void>((done) => setTimeout(done, options.graceMs ?? 5_000).unref());
      await Promise.race([Promise.all([...this.processes].map(({ closed }) => closed)), grace]);
    }
    // pid 1 of the boot's pid namespace: the kernel kills every other process of the boot with it.
    try {
      process.kill(boot.initPid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await boot.unshareExit;
    await Promise.all([...this.processes].map(({ closed }) => closed));
  }

  /** The bootloader step, then a boot; a partition that does not come up is another attempt (see top). */
  private async bootUntilUp(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const env = await this.env();
      const step = bootloaderStep(env);
      if (Object.keys(step.changes).length > 0) {
        await this.setEnv(step.changes);
      }
      const partition = partitionOf(step.changes.mender_boot_part ?? env.mender_boot_part);
      const record: BootRecord = { id: randomUUID(), partition, bootcount: step.bootcount, fellBack: step.fellBack, failure: null };
      this.history.push(record);
      try {
        this.boot = await this.startBoot(record);
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

  private async startBoot(record: BootRecord): Promise<Boot> {
    const majorMinors = await Promise.all((['A', 'B'] as const).map(async (which) => majorMinor((await stat(this.loopDevices[which], { bigint: true })).rdev)));
    const args = [
      this.mountPoint, `/dev/mmcblk0p${PARTITION_NUMBER[record.partition]}`, ...majorMinors.flat(),
      join(this.root, 'data'), join(this.root, BOOT_ENV_DIR), REPO.replace(/\/+$/, '') || '/', record.id,
    ];
    const unshare = spawn('unshare', ['--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', 'sh', '-c', BOOT_SCRIPT, 'ab-device-boot', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    unshare.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const unshareExit = new Promise<number>((done) => {
      unshare.on('error', () => done(-1));
      unshare.on('close', (code, signal) => done(exitCodeOf(code, signal)));
    });
    const events = new EventEmitter();
    const ready = new Promise<boolean>((done) => {
      unshare.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text;
        const at = stdout.indexOf('ready\n');
        if (at < 0) return;
        done(true);
        if (stdout.slice(at).includes('\nreboot\n')) events.emit('reboot-request');
      });
      void unshareExit.then(() => {
        done(false);
        events.emit('end');
      });
    });
    if (!(await ready)) {
      const code = await unshareExit;
      if (code === UNBOOTABLE) throw new BootFailed(stdout.trim());
      throw new Error(`ab-device: boot of ${record.partition} failed (exit ${code}): ${stdout}${stderr}`);
    }
    const initPid = childrenOf(unshare.pid ?? -1)[0];
    if (initPid === undefined) {
      unshare.kill('SIGKILL');
      await unshareExit;
      throw new Error('ab-device: cannot find the boot\'s pid 1');
    }
    const boot: Boot = { record, unshare, unshareExit: unshareExit.then(() => undefined), initPid, events, rebootRequested: false, ended: false };
    events.once('reboot-request', () => (boot.rebootRequested = true));
    events.once('end', () => (boot.ended = true));
    return boot;
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
    if (this.boot !== null) {
      try {
        process.kill(this.boot.initPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const loop of Object.values(this.loopDevices)) {
      if (loop !== '' && backingFile(loop)?.startsWith(this.root)) spawnSync('losetup', ['--detach', loop]);
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Signals the command's process group inside the device (see spawn); nsenter itself only if it never forked. */
async function killInside(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  for (let tries = 0; tries < 100; tries++) {
    const [inside] = childrenOf(child.pid);
    if (inside !== undefined) {
      try {
        process.kill(-inside, signal);
      } catch {
        // setsid has not run yet: signal the process itself.
        try {
          process.kill(inside, signal);
        } catch {
          // Gone meanwhile.
        }
      }
      return;
    }
    if (child.exitCode !== null || child.signalCode !== null) return;
    await sleep(10);
  }
  child.kill(signal);
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
