// The USB disks of the block layer, for MEDIA_UNREADABLE: which whole disks sit on USB (sysfs), their
// USB identity, partitions and the filesystem each holds (`blkid -p`), and a hint when a block device
// node appears or goes in /dev (inotify on devtmpfs). No udev database needed: not every device has one.

import { execFile } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { access, constants, readdir, readFile, realpath } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DiskVolume, Stoppable, UsbDiskFacts, UsbDiskSystem } from '../../media/index.js';
import type { Logger } from '../../log/index.js';
import { parseKeyValueLines, usbAncestor, usbIdentity } from './block-devices.js';

export interface UsbDiskOptions {
  sysfs?: string;
  /** Where the device nodes are; tests put image files there under the kernel's names. */
  dev?: string;
  blkid?: string;
}

/** What `blkid -p` says about one device: its filesystem (or none), or why it could not say. */
interface Probe {
  fsType?: string;
  usage?: string;
  partitionTable?: string;
  error?: string;
}

async function probe(path: string, blkid: string): Promise<Probe> {
  // blkid exits 2 ("nothing found") for a node it cannot open too: ask the node first.
  const unreadable = await access(path, constants.R_OK).then(() => null, (err: NodeJS.ErrnoException) => err.code ?? err.message);
  if (unreadable !== null) return { error: `cannot be opened (${unreadable})` };
  return new Promise((resolve) => {
    // -p reads the superblocks themselves, never a cache: what is on the stick now.
    execFile(blkid, ['-p', '-o', 'udev', path], { timeout: 5000 }, (err, stdout, stderr) => {
      const values = parseKeyValueLines(stdout);
      const fsType = values.get('ID_FS_TYPE');
      const usage = values.get('ID_FS_USAGE');
      const partitionTable = values.get('ID_PART_TABLE_TYPE');
      const found: Probe = { ...(fsType ? { fsType } : {}), ...(usage ? { usage } : {}), ...(partitionTable ? { partitionTable } : {}) };
      // Exit 2: nothing found, which is an answer. Anything else (8: two signatures that disagree,
      // an I/O error, a timeout) is said as is.
      const code = (err as (Error & { code?: unknown }) | null)?.code;
      if (err === null || code === 2) return resolve(found);
      const why = stderr.trim().split('\n')[0] || (code === 8 ? 'blkid found conflicting signatures' : `blkid failed: ${err.message.split('\n')[0] ?? ''}`);
      resolve({ ...found, error: why });
    });
  });
}

const readText = async (path: string): Promise<string | undefined> => readFile(path, 'utf8').then((t) => t.trim(), () => undefined);

/** The whole disks listed in /sys/block whose device path goes through a USB device. */
export async function listUsbDisks(options: UsbDiskOptions = {}): Promise<string[]> {
  const { sysfs = '/sys' } = options;
  const names = await readdir(`${sysfs}/block`).catch(() => [] as string[]);
  const disks = await Promise.all(names.map(async (name) => {
    const path = await realpath(`${sysfs}/block/${name}`).catch(() => null);
    return path !== null && (await usbAncestor(`${path}/device`, sysfs)) !== undefined ? path : null;
  }));
  return disks.filter((d): d is string => d !== null).sort();
}

/** The partitions of a disk (sysfs folders with a `partition` file), by partition number. */
async function partitionsOf(disk: string): Promise<string[]> {
  const entries = await readdir(disk, { withFileTypes: true }).catch(() => []);
  const found = await Promise.all(entries.filter((e) => e.isDirectory()).map(async (e) => {
    const number = await readText(join(disk, e.name, 'partition'));
    return number === undefined ? null : { name: e.name, number: Number(number) };
  }));
  return found.filter((p): p is { name: string; number: number } => p !== null).sort((a, b) => a.number - b.number).map((p) => p.name);
}

export async function describeUsbDisk(disk: string, options: UsbDiskOptions = {}): Promise<UsbDiskFacts | null> {
  const { sysfs = '/sys', dev = '/dev', blkid = 'blkid' } = options;
  if ((await readText(join(disk, 'dev'))) === undefined) return null;
  const name = basename(disk);
  const usbDir = await usbAncestor(`${disk}/device`, sysfs);
  const names = [name, ...(await partitionsOf(disk))];
  const probes = await Promise.all(names.map((n) => probe(join(dev, n), blkid)));
  const volumes: DiskVolume[] = names.map((n, i) => {
    const p = probes[i] ?? {};
    return { device: `/dev/${n}`, ...(p.fsType !== undefined ? { fsType: p.fsType } : {}), ...(p.usage !== undefined ? { usage: p.usage } : {}) };
  });
  const errors = probes.flatMap((p, i) => (p.error !== undefined ? [`/dev/${names[i] ?? ''}: ${p.error}`] : []));
  const table = probes[0]?.partitionTable;
  return {
    disk,
    device: `/dev/${name}`,
    ...(usbDir !== undefined ? { usb: await usbIdentity(usbDir) } : {}),
    ...(table !== undefined ? { partitionTable: table } : {}),
    volumes,
    ...(errors.length > 0 ? { probeError: errors.join('; ') } : {}),
  };
}

/**
 * Calls `onChange` when an entry appears in or leaves `dev`: the kernel creates a disk's node in
 * devtmpfs as the disk appears, before udev has probed it, which is early enough for a timeout
 * counted in seconds. sysfs itself sends no inotify events for new devices.
 */
export function followBlockDevices(onChange: () => void, logger: Logger, options: UsbDiskOptions = {}): Stoppable {
  const { dev = '/dev' } = options;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dev, { persistent: false }, () => onChange());
    watcher.on('error', (err) => logger.warn('following block devices failed; USB disks are looked at on USB attach only', { dev, error: String(err) }));
  } catch (err) {
    logger.warn('cannot follow block devices; USB disks are looked at on USB attach only', { dev, error: String(err) });
  }
  return {
    stop: () => {
      watcher?.close();
      return Promise.resolve();
    },
  };
}

export function realUsbDiskSystem(logger: Logger, options: UsbDiskOptions = {}): UsbDiskSystem {
  return {
    listUsbDisks: () => listUsbDisks(options),
    describeUsbDisk: (disk) => describeUsbDisk(disk, options),
    followBlockDevices: (onChange) => followBlockDevices(onChange, logger, options),
  };
}
