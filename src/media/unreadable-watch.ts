// Follows the USB disks of the block layer and reports each one that got no stick within
// media.mount_timeout (an `unreadable` event, judged by judgeUnreadable). The block layer is the truth
// of "a USB disk is here"; usb-detection's attach event, where the addon runs, is only an early hint.

import type { MediaEvent } from './events.js';
import type { Stoppable, UsbDiskSystem } from './ports.js';
import { serialize } from './serialize.js';
import { judgeUnreadable } from './unreadable.js';
import type { Logger } from '../log/index.js';

/** media.mount_timeout's default: the mount unit takes 1-3 s, a slow stick or a busy device more. */
export const DEFAULT_MOUNT_TIMEOUT_MS = 15_000;

/**
 * After a USB attach the kernel scans the device before its disk appears (about a second, more on a
 * slow hub): the block layer is looked at again at these delays, in case its own hint was missed.
 */
const AFTER_ATTACH_MS = [1000, 3000];

export interface UnreadableOptions {
  /** Read when a disk appears, so that a reloaded config applies to the next disk. */
  current(): { timeoutMs: number; filesystems: readonly string[] };
  now(): Date;
}

export interface UnreadableWatch extends Stoppable {
  /** A filesystem of `disk` (its sysfs path) was mounted as a stick: that disk is readable. */
  mounted(disk: string): void;
  /** Something happened on USB (an attach): look at the block layer again, now and in a moment. */
  hint(): void;
}

interface Tracked {
  timer: NodeJS.Timeout | null;
  timeoutMs: number;
}

/** Starts following; resolves once the disks present at start-up are tracked (judged like new ones). */
export async function watchUnreadable(system: UsbDiskSystem, options: UnreadableOptions, logger: Logger, emit: (event: MediaEvent) => void): Promise<UnreadableWatch> {
  const tracked = new Map<string, Tracked>();
  const served = new Set<string>();
  const later = new Set<NodeJS.Timeout>();
  let stopped = false;

  const judge = async (disk: string, timeoutMs: number): Promise<void> => {
    const entry = tracked.get(disk);
    if (entry === undefined || stopped) return;
    entry.timer = null;
    if (served.has(disk)) return;
    const facts = await system.describeUsbDisk(disk);
    // Pulled out meanwhile, or mounted while it was being described: nothing to say.
    if (facts === null || stopped || served.has(disk) || !tracked.has(disk)) return;
    const { filesystems } = options.current();
    const verdict = judgeUnreadable(facts, false, filesystems, timeoutMs);
    if (verdict !== null) emit({ type: 'unreadable', at: options.now().toISOString(), disk: facts, ...verdict });
  };

  const refresh = async (): Promise<void> => {
    const present = new Set(await system.listUsbDisks());
    for (const [disk, entry] of tracked) {
      if (present.has(disk)) continue;
      if (entry.timer !== null) clearTimeout(entry.timer);
      tracked.delete(disk);
    }
    // A mount reported before its disk was listed is kept; one whose disk is gone is forgotten.
    for (const disk of served) if (!present.has(disk)) served.delete(disk);
    const { timeoutMs } = options.current();
    for (const disk of present) {
      if (tracked.has(disk) || stopped) continue;
      const entry: Tracked = { timer: null, timeoutMs };
      entry.timer = setTimeout(() => {
        judge(disk, entry.timeoutMs).catch((err: unknown) => logger.error('judging a USB disk without a mounted filesystem failed', { disk, error: String(err) }));
      }, timeoutMs);
      tracked.set(disk, entry);
    }
  };

  const reading = serialize(refresh, (err) => logger.error('listing the USB disks failed', { error: String(err) }));
  const request = (): void => {
    if (!stopped) reading.request();
  };
  const follower = system.followBlockDevices(request);
  try {
    await refresh();
  } catch (err) {
    await follower.stop();
    throw err;
  }

  return {
    mounted(disk) {
      served.add(disk);
    },
    hint() {
      request();
      for (const ms of AFTER_ATTACH_MS) {
        const timer = setTimeout(() => {
          later.delete(timer);
          request();
        }, ms);
        later.add(timer);
      }
    },
    async stop() {
      stopped = true;
      for (const timer of later) clearTimeout(timer);
      for (const entry of tracked.values()) if (entry.timer !== null) clearTimeout(entry.timer);
      await follower.stop();
      await reading.idle();
    },
  };
}
