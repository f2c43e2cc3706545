// Follows a configuration file: loads it at start, reloads it whenever it changes, and keeps the
// last good value when a new version fails to load (a half-edited file must not take the device
// down or change what it accepts). Generic: the loader that parses and checks the file is passed in.

import type { Stoppable } from './ports.js';
import { serialize } from './serialize.js';

export interface ConfigHandlers<T> {
  /** A new value was loaded (not called for the first load, which `followConfig` returns). */
  onReload(value: T): void;
  /** A changed file failed to load; `current` is kept. */
  onError(err: unknown, current: T): void;
}

export interface FollowedConfig<T> extends Stoppable {
  current(): T;
}

export type WatchFile = (path: string, onChange: () => void) => Stoppable;

/**
 * Loads `path` once (a failure rejects: there is no good value to keep yet), then follows it.
 */
export async function followConfig<T>(path: string, load: (path: string) => Promise<T>, handlers: ConfigHandlers<T>, watchFile: WatchFile): Promise<FollowedConfig<T>> {
  // Watch before the first load, so that a write in between triggers a reload.
  let stopped = false;
  let current: T | undefined;
  const reload = serialize(async () => {
    const value = await load(path);
    if (stopped) return;
    current = value;
    handlers.onReload(value);
  }, (err) => {
    if (!stopped && current !== undefined) handlers.onError(err, current);
  });
  let changedDuringFirstLoad = false;
  const watcher = watchFile(path, () => {
    if (stopped) return;
    if (current === undefined) changedDuringFirstLoad = true;
    else reload.request();
  });
  try {
    current = await load(path);
  } catch (err) {
    await watcher.stop();
    throw err;
  }
  const first = current;
  if (changedDuringFirstLoad) reload.request();
  return {
    current: () => current ?? first,
    async stop() {
      stopped = true;
      await watcher.stop();
      await reload.idle();
    },
  };
}
