// The daemon path of bench:install: a daemon started in the simulated device, a stick (an ext4 image
// of the artifact on a read-only loop device) mounted under its media root, and the times from the
// moment `mount` returned to the first byte handed to the client and to the client's exit. The turns
// (a fresh daemon each) are install-bench.ts's.
//
// Times: `mount` prints the clock the moment it returns (inside the device, the same kernel clock as
// the host); the first byte is the daemon's first progress record (logging at debug: the install's
// progress is logged once a chunk is handed to the client, which has opened its input by then); the
// client's exit is the journal's `installed` step. CPU: the daemon's own (utime + stime from /proc),
// over the whole handling of the stick (search, header, stream), its children's apart.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AbDevice, BootProcess } from '../support/simulator/ab-device.js';
import { SIM_MEDIA_ROOT } from '../support/simulator/sim-stick.js';
import { STATE_DIR } from './install-setup.js';

const MOUNT_POINT = `${SIM_MEDIA_ROOT}/bench`;
const NODE_NAME = '/run/bench-stick';
const WAIT_MS = 10 * 60_000;
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export interface DaemonSample {
  /** `mount` returned → the first chunk handed to the client. */
  firstByte: number;
  /** `mount` returned → the client exited (the journal's installed). */
  clientExit: number;
  /** CPU seconds of the daemon's node process itself while it handled the stick. */
  ownCpu: number;
  /** Its children's (the client, fw_printenv, show-provides…), as far as they were waited for. */
  childCpu: number;
  /** The daemon's VmHWM in MiB at the end of the turn. */
  peakMiB: number;
}

/** The pids below `pid` (CONFIG_PROC_CHILDREN). */
export function descendants(pid: number): number[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** Self and waited-for children's CPU seconds of `pid` (/proc/PID/stat utime, stime, cutime, cstime). */
function cpuOf(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const at = (i: number): number => fields[i] ?? Number.NaN;
  return { own: (at(11) + at(12)) / TICK, children: (at(13) + at(14)) / TICK };
}

const hwmOf = (pid: number): number => Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

interface LogRecord {
  time: string;
  level: string;
  message: string;
}

function records(text: string): LogRecord[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogRecord];
    } catch {
      return [];
    }
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An ext4 image holding the artifact, attached read-only; the node for it is made in each boot. */
export class BenchStick {
  private constructor(
    readonly loop: string,
    private readonly rdev: { major: string; minor: string },
  ) {}

  static make(dir: string, artifact: string): BenchStick {
    const folder = join(dir, 'daemon-stick');
    mkdirSync(folder, { recursive: true });
    execFileSync('cp', [artifact, join(folder, 'release-2.0.mender')]);
    const image = join(dir, 'daemon-stick.img');
    const mib = Math.ceil(statSync(artifact).size / (1024 * 1024)) + 32;
    execFileSync('mkfs.ext4', ['-q', '-F', '-d', folder, '-L', 'BENCH', image, `${mib}M`]);
    execFileSync('rm', ['-rf', folder]);
    const loop = execFileSync('losetup', ['-f', '--show', '-r', image], { encoding: 'utf8' }).trim();
    const [major = '', minor = ''] = readFileSync(`/sys/class/block/${loop.replace('/dev/', '')}/dev`, 'utf8').trim().split(':');
    return new BenchStick(loop, { major, minor });
  }

  /** Mounts it in the device; the clock (ms) the moment `mount` returned. */
  async mount(device: AbDevice): Promise<number> {
    const script = `[ -b ${NODE_NAME} ] || mknod ${NODE_NAME} b ${this.rdev.major} ${this.rdev.minor}; mkdir -p ${MOUNT_POINT} && mount -o ro,nosuid,nodev,noexec ${NODE_NAME} ${MOUNT_POINT} && date +%s.%N`;
    const result = await device.run('sh', ['-c', script]);
    if (result.code !== 0) throw new Error(`mounting the bench stick: ${result.output}`);
    return Number(result.stdout.trim().split('\n').at(-1)) * 1000;
  }

  async unmount(device: AbDevice): Promise<void> {
    const result = await device.run('umount', [MOUNT_POINT]);
    if (result.code !== 0) throw new Error(`umount ${MOUNT_POINT}: ${result.output}`);
  }

  /** Once the boots that mounted it are over. */
  detach(): void {
    spawnSync('losetup', ['-d', this.loop]);
  }
}

/** The config lines the daemon needs beyond the install's: the simulator's media root, and progress logged. */
export const DAEMON_CONFIG_LINES = ['media:', `  roots: [${SIM_MEDIA_ROOT}]`, '  filesystems: [ext4]', '  allow_loop_devices: true', 'logging:', '  format: json', '  level: debug'];

/** A daemon of `bin` in the device, ready for sticks; stopped with stop(). */
export class BenchDaemon {
  private constructor(
    private readonly process: BootProcess,
    readonly pid: number,
  ) {}

  /** `nodeOptions`: for node itself (--cpu-prof, say). */
  static async start(device: AbDevice, bin: string, config: string, nodeOptions: readonly string[] = []): Promise<BenchDaemon> {
    const child = device.spawn('node', [...nodeOptions, bin, 'daemon', '-c', config, '--usb-module', 'usb-detection-not-installed']);
    const started = Date.now();
    while (!child.output().stderr.includes('"following media"')) {
      if (Date.now() - started > WAIT_MS) throw new Error(`the daemon did not start:\n${child.output().stderr}`);
      await Promise.race([sleep(20), child.exited.then((r) => { throw new Error(`the daemon exited ${r.code}:\n${child.output().stderr}`); })]);
    }
    const pid = descendants(child.pid).find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'node');
    if (pid === undefined) throw new Error('the daemon\'s node process is not found');
    return new BenchDaemon(child, pid);
  }

  private count(message: string): number {
    return records(this.process.output().stderr).filter((r) => r.message.startsWith(message)).length;
  }

  private async until(message: string, count: number): Promise<void> {
    const started = Date.now();
    while (this.count(message) < count) {
      const failed = records(this.process.output().stderr).find((r) => r.message.startsWith('usb-updater: failed') || r.message.startsWith('usb-updater: nothing'));
      if (failed !== undefined) throw new Error(`the daemon did not install: ${JSON.stringify(failed)}`);
      if (Date.now() - started > WAIT_MS) throw new Error(`the daemon did not log ${message}:\n${this.process.output().stderr.slice(-3000)}`);
      await sleep(10);
    }
  }

  /** One stick: mounted, installed, unmounted. The device's reset is the caller's. */
  async install(device: AbDevice, stick: BenchStick): Promise<DaemonSample> {
    const installedBefore = this.count('usb-updater: installed');
    const unmountedBefore = this.count('stick unmounted');
    const logFrom = this.process.output().stderr.length;
    const before = cpuOf(this.pid);
    const mountedMs = await stick.mount(device);
    await this.until('usb-updater: installed', installedBefore + 1);
    const after = cpuOf(this.pid);
    const fresh = records(this.process.output().stderr.slice(logFrom));
    const first = fresh.find((r) => r.level === 'debug' && r.message === 'usb-updater: phase installing');
    if (first === undefined) throw new Error('the daemon logged no progress (logging.level debug)');
    const journal = await device.run('cat', [`${STATE_DIR}/journal.json`]);
    const installed = (JSON.parse(journal.stdout) as { history: { event: string | null; at: string }[] }).history.find((step) => step.event === 'installed')?.at;
    if (installed === undefined) throw new Error(`the journal lacks installed: ${journal.stdout}`);
    await stick.unmount(device);
    await this.until('stick unmounted', unmountedBefore + 1);
    return {
      firstByte: (Date.parse(first.time) - mountedMs) / 1000,
      clientExit: (Date.parse(installed) - mountedMs) / 1000,
      ownCpu: after.own - before.own,
      childCpu: after.children - before.children,
      peakMiB: hwmOf(this.pid),
    };
  }

  /** What it logged so far. */
  log(): string {
    return this.process.output().stderr;
  }

  async stop(): Promise<void> {
    await this.process.kill('SIGTERM');
    await this.process.exited;
  }
}
