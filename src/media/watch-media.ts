// Turns mount-table changes into media events (sticks, refusals, sessions). Every hint re-reads the
// whole table and diffs it: a hint lost or repeated never loses or repeats an event.

import { classifyMount, virtualDeviceFacts, type StickIdentity } from './identity.js';
import type { MediaEvent } from './events.js';
import { diffMounts, mountKey, parseMountInfo, type MountEntry } from './mountinfo.js';
import type { MediaOptions } from './options.js';
import { serialize } from './serialize.js';
import { SessionTracker, type StickSession } from './sessions.js';
import type { MediaSystem, Stoppable } from './ports.js';
import type { Logger } from '../log/index.js';

export interface MediaWatch extends Stoppable {
  /** Sessions open now. */
  sessions(): StickSession[];
}

/**
 * findmnt --poll gives no sign when it starts listening: a mount made between the first reading of
 * the table and that moment would wait for the next change. One more reading a little later closes
 * the window.
 */
const SETTLE_MS = 300;

const isBlockDevice = (majMin: string): boolean => !majMin.startsWith('0:');

/**
 * Starts following mounts; resolves once the table present at start-up has been reported (each
 * mount in it as an `initial` event, then `ready`).
 */
export async function watchMedia(system: MediaSystem, options: MediaOptions, logger: Logger, emit: (event: MediaEvent) => void): Promise<MediaWatch> {
  const sessions = new SessionTracker();
  const sticks = new Map<string, StickIdentity>();
  let table: MountEntry[] = [];
  let stopped = false;
  const at = (): string => system.now().toISOString();

  const report = async (entry: MountEntry, initial: boolean): Promise<void> => {
    const facts = (isBlockDevice(entry.majMin) ? await system.describeBlockDevice(entry.majMin) : null) ?? virtualDeviceFacts(entry);
    const verdict = classifyMount(entry, facts, options);
    if (verdict.kind === 'not-media') return;
    if (verdict.kind === 'rejected') {
      const { majMin, mountPoint, fsType } = entry;
      emit({ type: 'rejected', at: at(), initial, mount: { device: facts.device, majMin, mountPoint, fsType, reason: verdict.reason } });
      return;
    }
    sticks.set(mountKey(entry), verdict.stick);
    const { session, started } = sessions.mount(verdict.stick);
    if (started) emit({ type: 'session-started', at: at(), session });
    emit({ type: 'mounted', at: at(), session: session.id, initial, stick: verdict.stick });
  };

  const forget = (entry: MountEntry): void => {
    const stick = sticks.get(mountKey(entry));
    if (!stick) return;
    sticks.delete(mountKey(entry));
    const left = sessions.unmount(stick);
    if (!left) return;
    emit({ type: 'unmounted', at: at(), session: left.session.id, stick });
    if (left.ended) emit({ type: 'session-ended', at: at(), session: left.session });
  };

  const refresh = async (initial: boolean): Promise<void> => {
    const next = parseMountInfo(await system.readMountTable());
    const changes = diffMounts(table, next);
    table = next;
    // Unmounts first: a stick pulled and plugged back between two readings ends its old session.
    for (const entry of changes.unmounted) forget(entry);
    for (const entry of changes.mounted) {
      // One mount that cannot be described must not hide the others of the same reading.
      await report(entry, initial).catch((err: unknown) => logger.error('describing a new mount failed', { mountPoint: entry.mountPoint, error: String(err) }));
    }
  };

  // Readings never overlap: a hint during a reading asks for exactly one more after it.
  const reading = serialize(() => refresh(false), (err) => logger.error('reading the mount table failed', { error: String(err) }));
  // Hints that come during the first reading (which is not serialized) wait for its end.
  let first = true;
  let hintedDuringFirst = false;
  const hint = (): void => {
    if (stopped) return;
    if (first) hintedDuringFirst = true;
    else reading.request();
  };

  // Follow first, then read: a mount in between is then in the reading or causes a hint.
  const follower = system.followMountTable(hint);
  const directories = system.watchDirectories(options.roots, hint);
  try {
    await refresh(true);
  } catch (err) {
    await Promise.all([follower.stop(), directories.stop()]);
    throw err;
  }
  emit({ type: 'ready', at: at() });
  first = false;
  if (hintedDuringFirst) hint();
  const settle = setTimeout(hint, SETTLE_MS);

  return {
    sessions: () => sessions.open,
    async stop() {
      stopped = true;
      clearTimeout(settle);
      await Promise.all([follower.stop(), directories.stop()]);
      await reading.idle();
    },
  };
}
