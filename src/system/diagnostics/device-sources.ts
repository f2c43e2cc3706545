// What a diagnostics bundle is made of, read from this device: the service's newest log lines, the
// Mender client's version, the free space of the filesystems that matter, and the state files'
// raw bytes (the journal; the ledger's newest lines). Each read is bounded in bytes and in time,
// and a part that cannot be read says why in its place: a bundle is never refused for a missing part.

import { constants } from 'node:fs';
import { open, statfs } from 'node:fs/promises';
import { runCommand, type CommandResult, type RunOptions } from '../os/process.js';

/** The units whose lines the bundle holds: the daemon and the boot-time check. */
export const SERVICE_UNITS = ['usb-updater.service', 'usb-updater-health.service'] as const;
const COMMAND_TIMEOUT_MS = 10_000;

export type Run = (command: string, args: readonly string[], options: RunOptions) => Promise<CommandResult>;

const describe = (err: unknown): string => (err as NodeJS.ErrnoException | null)?.code ?? (err instanceof Error ? err.message : String(err));

/**
 * The newest `lines` lines the service logged, from the journal; else (no journalctl, not under
 * systemd) the tail of `logFile` (logging.file), else a line saying there are none. At most
 * `maxBytes` characters.
 */
export async function serviceLogLines(lines: number, maxBytes: number, logFile: string | null, run: Run = runCommand): Promise<{ source: string; text: string }> {
  if (lines === 0) return { source: 'none (diagnostics.log_lines is 0)', text: '' };
  const args = [...SERVICE_UNITS.flatMap((unit) => ['-u', unit]), '-n', String(lines), '-o', 'short-iso', '--no-pager', '-q'];
  let problem: string;
  try {
    const result = await run('journalctl', args, { timeoutMs: COMMAND_TIMEOUT_MS, maxOutput: maxBytes });
    if (result.code === 0) return { source: `journalctl ${args.join(' ')}`, text: result.stdout };
    problem = `journalctl exited ${String(result.code)}${result.timedOut ? ' (timed out)' : ''}`;
  } catch (err) {
    problem = `journalctl: ${describe(err)}`;
  }
  if (logFile === null) return { source: `none: ${problem}, and no logging.file`, text: '' };
  const tail = await readFileTail(logFile, maxBytes);
  if (tail.status !== 'ok') return { source: `none: ${problem}; ${logFile}: ${tail.message}`, text: '' };
  const kept = tail.text.split('\n');
  return { source: `${logFile} (${problem})`, text: kept.slice(Math.max(0, kept.length - lines - 1)).join('\n') };
}

/** The first line `mender --version` (3.x) or `mender-update --version` (4.x) prints, or why none. */
export async function clientVersion(run: Run = runCommand): Promise<string> {
  const problems: string[] = [];
  for (const command of ['mender', 'mender-update']) {
    try {
      const result = await run(command, ['--version'], { timeoutMs: COMMAND_TIMEOUT_MS, maxOutput: 4096 });
      if (result.code === 0) return `${command} ${result.output.trim().split('\n')[0] ?? ''}`.trim();
      problems.push(`${command} --version exited ${String(result.code)}`);
    } catch (err) {
      problems.push(`${command}: ${describe(err)}`);
    }
  }
  return `unknown (${problems.join('; ')})`;
}

export interface FreeSpace {
  path: string;
  freeBytes: number | null;
  totalBytes: number | null;
  error?: string;
}

/** Free and total bytes of the filesystem holding each of `paths` (what an unprivileged user may use). */
export async function freeSpace(paths: readonly string[]): Promise<FreeSpace[]> {
  return Promise.all(paths.map(async (path) => {
    try {
      const s = await statfs(path);
      return { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    } catch (err) {
      return { path, freeBytes: null, totalBytes: null, error: describe(err) };
    }
  }));
}

export type FileTail = { status: 'ok'; text: string; size: number } | { status: 'missing' | 'refused'; message: string };

/**
 * The last `maxBytes` bytes of a file (all of it when smaller): opened without following a link or
 * waiting on a FIFO, a regular file only, read from that descriptor.
 */
export async function readFileTail(path: string, maxBytes: number): Promise<FileTail> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return { status: describe(err) === 'ENOENT' ? 'missing' : 'refused', message: describe(err) === 'ENOENT' ? 'no such file' : `cannot be opened (${describe(err)})` };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { status: 'refused', message: 'not a regular file' };
    const length = Math.min(stats.size, maxBytes);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, stats.size - length + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { status: 'ok', text: buffer.subarray(0, read).toString('utf8'), size: stats.size };
  } catch (err) {
    return { status: 'refused', message: `cannot be read (${describe(err)})` };
  } finally {
    await handle.close();
  }
}
