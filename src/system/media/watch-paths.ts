// chokidar (inotify) for what it does see: directories that automounters create under the media
// roots, and the config file being written or replaced. It does not see a filesystem mounted onto an
// existing directory: mounts are followed through the kernel's mount table (mount-table.ts).
// chokidar loads on the first watch: commands that watch nothing (install, check, --version) skip it.

import type { ChokidarOptions, FSWatcher } from 'chokidar';
import type { Stoppable } from '../../media/index.js';
import type { Logger } from '../../log/index.js';

/** Starts watching `paths` once chokidar is loaded; stop() waits for that start, then closes. */
function startWatcher(paths: string | string[], options: ChokidarOptions, onChange: () => void, logger: Logger): Stoppable {
  const started = import('chokidar').then(
    ({ watch }) => {
      const watcher: FSWatcher = watch(paths, options);
      watcher.on('all', () => onChange());
      watcher.on('error', (err) => logger.warn('file watcher error', { error: String(err) }));
      return watcher;
    },
    (err: unknown) => {
      // Without a watcher the caller still follows the mount table; say why nothing is watched.
      logger.warn('file watcher could not start', { error: String(err) });
      return null;
    },
  );
  return { stop: async () => (await started)?.close() };
}

/** Calls `onChange` when an entry appears in or leaves one of `dirs` (not their subtrees). */
export function watchDirectories(dirs: string[], onChange: () => void, logger: Logger): Stoppable {
  // depth 0: a stick mounted below a root is never walked by the watcher, only its mount point seen.
  return startWatcher(dirs, { ignoreInitial: true, depth: 0, followSymlinks: false }, onChange, logger);
}

/** Calls `onChange` when `file` is written, replaced (editors rename over it) or removed. */
export function watchFile(file: string, onChange: () => void, logger: Logger): Stoppable {
  // Wait for writes to settle so that a reload never reads a half-written file.
  const options = { ignoreInitial: true, atomic: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } };
  return startWatcher(file, options, onChange, logger);
}
