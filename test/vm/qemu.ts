// One run of QEMU (TCG: KVM does not work on these machines) from power-on to its exit: direct
// kernel boot, the serial console on stdout, a QMP socket, the agent's virtio port, an xhci
// controller for sticks. `-no-reboot` turns the guest's reboot into QEMU's exit, so the harness
// plays the bootloader between runs. Killed, if ever, by its own PID only.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConsoleLog } from './console-log.js';
import { GuestAgent } from './guest-agent.js';
import { AGENT_PORT } from './guest-files.js';
import { Qmp } from './qmp.js';

export interface QemuOptions {
  disk: string;
  kernel: string;
  initrd: string;
  /** The root partition's device in the guest (/dev/vdaN). */
  root: string;
  /** Where sockets and the console log go. */
  dir: string;
  /** The console log file (appended). */
  consoleFile: string;
}

/** How a run ended: the kernel's last words tell a reboot from a power-off. */
export type QemuEnd = 'reboot' | 'poweroff' | 'crash';

export class Qemu {
  readonly console: ConsoleLog;
  private readonly exited: Promise<QemuEnd>;
  private agentConnection: GuestAgent | null = null;
  private qmpConnection: Qmp | null = null;

  private constructor(private readonly child: ChildProcess, private readonly options: QemuOptions) {
    if (child.stdout === null) throw new Error('vm: QEMU has no stdout');
    this.console = new ConsoleLog(child.stdout, options.consoleFile);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.console.end(new Error(`QEMU exited with ${signal ?? code}${stderr === '' ? '' : `: ${stderr.trim()}`}`));
        this.qmpConnection?.close();
        this.agentConnection?.close();
        const last = this.console.tail(15);
        resolve(/reboot: Restarting system/.test(last) ? 'reboot' : /reboot: Power down/.test(last) ? 'poweroff' : 'crash');
      });
    });
  }

  static start(options: QemuOptions): Qemu {
    const args = [
      '-accel', 'tcg', '-smp', '2', '-m', '1024', '-no-reboot', '-nodefaults', '-display', 'none', '-monitor', 'none',
      '-kernel', options.kernel, '-initrd', options.initrd,
      '-append', `console=ttyS0 root=${options.root} rw rootwait panic=1 loglevel=4 systemd.show_status=0`,
      '-drive', `file=${options.disk},format=raw,if=virtio`,
      '-chardev', 'stdio,id=console,signal=off', '-serial', 'chardev:console',
      '-chardev', `socket,id=agent,path=${join(options.dir, 'agent.sock')},server=on,wait=off`,
      '-device', 'virtio-serial-pci', '-device', `virtserialport,chardev=agent,name=${AGENT_PORT}`,
      '-qmp', `unix:${join(options.dir, 'qmp.sock')},server=on,wait=off`,
      '-device', 'qemu-xhci,id=xhci', '-device', 'virtio-rng-pci', '-nic', 'none',
    ];
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Qemu(child, options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The QMP connection (made on first use). */
  async qmp(): Promise<Qmp> {
    this.qmpConnection ??= await Qmp.connect(await this.socket('qmp.sock'));
    return this.qmpConnection;
  }

  /** The guest agent, once it said it is ready. */
  async agent(timeoutMs: number): Promise<GuestAgent> {
    if (this.agentConnection === null) {
      this.agentConnection = await GuestAgent.connect(await this.socket('agent.sock'));
    }
    await this.agentConnection.ready(timeoutMs);
    return this.agentConnection;
  }

  /** Resolves when QEMU exits (after the guest's reboot or power-off, or a crash). */
  ended(): Promise<QemuEnd> {
    return this.exited;
  }

  /** Pulls the power: SIGKILL to this QEMU's PID; resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) this.child.kill('SIGKILL');
    await this.exited;
  }

  private async socket(name: string): Promise<string> {
    const path = join(this.options.dir, name);
    for (let i = 0; i < 100 && !existsSync(path); i += 1) await sleep(50);
    return path;
  }
}
