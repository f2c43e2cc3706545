// chokidar (inotify) for what it does see: directories that automounters create under the media
// roots, and the config file being written or replaced. It does not see a filesystem mounted onto an
// existing directory: mounts are followed through the kernel's mount table (mount-table.ts).

import { watch, type FSWatcher } from 'chokidar';
import type { Stoppable } from '../media/index.js';
import type { Logger } from './logger.js';

function stoppable(watcher: FSWatcher, onChange: () => void, logger: Logger): Stoppable {
  watcher.on('all', () => onChange());
  watcher.on('error', (err) => logger.warn('file watcher error', { error: String(err) }));
  return { stop: () => watcher.close() };
}

/** Calls `onChange` when an entry appears in or leaves one of `dirs` (not their subtrees). */
export function watchDirectories(dirs: string[], onChange: () => void, logger: Logger): Stoppable {
  // depth 0: a stick mounted below a root is never walked by the watcher, only its mount point seen.
  return stoppable(watch(dirs, { ignoreInitial: true, depth: 0, followSymlinks: false }), onChange, logger);
}

/** Calls `onChange` when `file` is written, replaced (editors rename over it) or removed. */
export function watchFile(file: string, onChange: () => void, logger: Logger): Stoppable {
  // Wait for writes to settle so that a reload never reads a half-written file.
  const options = { ignoreInitial: true, atomic: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } };
  return stoppable(watch(file, options), onChange, logger);
}
