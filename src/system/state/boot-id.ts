// This boot's identity and a process's start time, both from /proc: the journal compares boot ids
// to know whether the machine rebooted, the deployment lock uses both to tell a live holder.

import { readFile } from 'node:fs/promises';

/** The kernel's random id of this boot: a new value after every reboot. */
export async function readBootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
}

/**
 * The start time of process `pid` (clock ticks since boot, field 22 of /proc/PID/stat), or null
 * when it is gone or unreadable. With the pid it names one process of one boot: pids are reused.
 */
export async function readProcessStartTime(pid: number): Promise<string | null> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}
