// One boot of a simulated A/B device (ab-device.ts decides what boots; this file boots it): its pid 1
// in a mount + pid namespace built around the partition being booted, the commands run in it, and
// its end. Every process of a boot lives in its pid namespace, so killing pid 1 kills them all, and
// no mount of it is ever visible on the host (private propagation).

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { REPO } from '../skip/fixtures.js';
import { exitCodeOf, feedInput, runProcess, type ProcessInput, type ProcessResult } from '../harness/process.js';
import { BOOT_ENV_DIR, PARTITION_DEVICE, type Partition } from './rootfs-image.js';

/** Inside the device: asks the simulator for a reboot (see AbDevice.rebootRequested). */
export const REBOOT_COMMAND = '/run/ab-device/reboot';

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

export interface EndOptions {
  /** Kill every process at once (SIGKILL), as a power cut does. Default: SIGTERM, then SIGKILL after graceMs. */
  powerCut?: boolean;
  /** How long a clean reboot waits for the commands it sent SIGTERM (default 5 s). */
  graceMs?: number;
}

/** Host paths a boot is built from. */
export interface BootSetUp {
  /** An empty folder: the partition is mounted there, inside the boot's namespace only. */
  mountPoint: string;
  /** The loop devices of A and B. */
  loops: Readonly<Record<Partition, string>>;
  /** Mounted on /data and on BOOT_ENV_DIR. */
  dataDir: string;
  envDir: string;
}

/** The partition did not come up (no ext4 on it, a mount point missing): a failed boot attempt. */
export class BootFailed extends Error {}

/** The boot's environment inside; the host's is not passed in. */
const BOOT_PATH_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };

/** Exit code of the boot script for a partition that does not boot (anything else is a simulator fault). */
const UNBOOTABLE = 3;

/**
 * pid 1 of a boot. Arguments: mount point, partition node to boot, A major minor, B major minor,
 * data folder, env folder, repository, boot id. It prints `ready` and then lives until its stdin
 * closes (the simulator ends the boot by killing it; if node itself dies, the closed pipe ends it).
 * A background reader passes REBOOT_COMMAND's requests on as `reboot` lines.
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
mknod -m 660 ${PARTITION_DEVICE.A} b $3 $4
mknod -m 660 ${PARTITION_DEVICE.B} b $5 $6
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
printf '#!/bin/sh\\n%s\\necho reboot > /run/ab-device/control\\n' \\
  '# Asks the A/B device simulator for a reboot and returns at once, as systemctl reboot does.' > "$root${REBOOT_COMMAND}"
chmod 755 "$root${REBOOT_COMMAND}"
while :; do cat "$root/run/ab-device/control"; done &
echo ready
while read -r _; do :; done
`;

/** Linux dev_t → major, minor (glibc's encoding). */
function majorMinor(rdev: bigint): [string, string] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [major.toString(), minor.toString()];
}

/** The pids `pid` forked (needs CONFIG_PROC_CHILDREN, as every distribution kernel has). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

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

export class Boot {
  /** pid 1 is gone, whoever ended it. */
  private ended = false;
  private rebootAsked = false;
  private readonly processes = new Set<{ child: ChildProcess; closed: Promise<unknown> }>();

  private constructor(
    readonly record: BootRecord,
    private readonly mountPoint: string,
    /** unshare: exits when the boot's pid 1 does. */
    private readonly unshare: ChildProcess,
    private readonly unshareExit: Promise<number>,
    /** Host pid of the boot's pid 1. */
    private readonly initPid: number,
    /** `reboot-request` when a process ran REBOOT_COMMAND; `end` when pid 1 is gone. */
    private readonly events: EventEmitter,
  ) {
    events.once('reboot-request', () => (this.rebootAsked = true));
    void unshareExit.then(() => {
      this.ended = true;
      this.events.emit('end');
    });
  }

  /** Boots `record.partition`; rejects with BootFailed when it does not come up. */
  static async start(record: BootRecord, setUp: BootSetUp): Promise<Boot> {
    const majorMinors = await Promise.all((['A', 'B'] as const).map(async (which) => majorMinor((await stat(setUp.loops[which], { bigint: true })).rdev)));
    const args = [
      setUp.mountPoint, PARTITION_DEVICE[record.partition], ...majorMinors.flat(),
      setUp.dataDir, setUp.envDir, REPO.replace(/\/+$/, '') || '/', record.id,
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
    // Built before the Boot, which subscribes to it as soon as it exists: no request comes earlier,
    // since no command of the boot can run before `ready`.
    const events = new EventEmitter();
    const ready = new Promise<boolean>((done) => {
      unshare.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text;
        const at = stdout.indexOf('ready\n');
        if (at < 0) return;
        done(true);
        if (stdout.slice(at).includes('\nreboot\n')) events.emit('reboot-request');
      });
      void unshareExit.then(() => done(false));
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
    return new Boot(record, setUp.mountPoint, unshare, unshareExit, initPid, events);
  }

  /** Throws when the boot ended by itself (its pid 1 died, e.g. killed from outside). */
  checkRunning(): void {
    if (this.ended) throw new Error(`ab-device: boot ${this.record.id} ended by itself (its pid 1 died)`);
  }

  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): BootProcess {
    this.checkRunning();
    const env = Object.entries({ ...BOOT_PATH_ENV, ...options.env }).map(([k, v]) => `${k}=${v}`);
    // setsid: the command leads its own process group inside the boot, so kill() reaches everything
    // it started and never nsenter, which stays outside to pass the command's exit status on.
    const child = spawn('nsenter', [
      '--target', String(this.initPid), '--mount', '--pid', '--',
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
    this.checkRunning();
    if (this.rebootAsked) return;
    await new Promise<void>((done, fail) => {
      const onEnd = (): void => fail(new Error(`ab-device: boot ${this.record.id} ended without a reboot request`));
      this.events.once('end', onEnd);
      this.events.once('reboot-request', () => {
        this.events.off('end', onEnd);
        done();
      });
    });
  }

  /** Ends the boot: every process of it is gone and its namespaces are released. */
  async end(options: EndOptions = {}): Promise<void> {
    if (!options.powerCut && !this.ended) {
      // Like a shutdown: SIGTERM to every process of the boot but pid 1 (kill -1 inside the pid
      // namespace), then the grace time for the commands started here to end.
      await runProcess('nsenter', ['--target', String(this.initPid), '--mount', '--pid', '--', 'kill', '-TERM', '-1']);
      const grace = new Promise<void>((done) => setTimeout(done, options.graceMs ?? 5_000).unref());
      await Promise.race([Promise.all([...this.processes].map(({ closed }) => closed)), grace]);
    }
    this.killNow();
    await this.unshareExit;
    await Promise.all([...this.processes].map(({ closed }) => closed));
  }

  /** SIGKILL to pid 1 of the boot's pid namespace: the kernel kills every other process of the boot with it. */
  killNow(): void {
    try {
      process.kill(this.initPid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    this.unshare.stdin?.destroy();
  }
}
