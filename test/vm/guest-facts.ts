// What the guest shows, read the way a person at the device would: the daemon's journal lines on
// the serial console, `usb-updater status --json`, the unit states, the mount table. Every wait
// names what it waits for and fails with the console's tail.

import type { Boot } from './virtual-device.js';
import type { ConsoleLine } from './console-log.js';
import type { GuestAgent } from './guest-agent.js';

/** A journal line of one of our units, as journald forwards it to the console. */
export const daemonLine = (message: string | RegExp): RegExp =>
  new RegExp(`usb-updater\\[\\d+\\]: .*(?:${typeof message === 'string' ? message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : message.source})`);

export interface Ready {
  agent: GuestAgent;
  /** Host ms from power-on to the daemon following media. */
  bootMs: number;
}

/** Waits for the agent and for the daemon to follow media (after the boot-time check ran). */
export async function waitReady(boot: Boot, from = 0): Promise<Ready> {
  const agent = await boot.qemu.agent(240_000);
  const line = await boot.qemu.console.waitFor(daemonLine('following media'), 240_000, from);
  return { agent, bootMs: line.at };
}

export interface StatusJson {
  journal: Record<string, unknown> | null;
  history: { artifactName?: string; outcome?: string; [k: string]: unknown }[];
}

export async function status(agent: GuestAgent): Promise<StatusJson> {
  return JSON.parse(await agent.check('usb-updater status --json')) as StatusJson;
}

/** `systemctl show` properties of a unit. */
export async function unitProps(agent: GuestAgent, unit: string, props: readonly string[]): Promise<Record<string, string>> {
  const out = await agent.check(`systemctl show ${unit} ${props.map((p) => `-p ${p}`).join(' ')}`);
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** What the booted image says it is (its release file) and which root it booted from. */
export async function bootedImage(agent: GuestAgent): Promise<{ release: string; root: string }> {
  const out = await agent.check('cat /etc/usb-updater-vm/release; findmnt -no SOURCE /');
  const [release = '', root = ''] = out.trim().split('\n');
  return { release, root };
}

/** Console lines from `from` on matching `pattern`, as text. */
export const linesSince = (boot: Boot, pattern: RegExp, from: number): string[] => boot.qemu.console.matching(pattern, from).map((l: ConsoleLine) => l.text);
