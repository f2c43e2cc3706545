// The file-system operations the stick scanner needs, on the real file system. Kept to what a safe
// walk requires: list a folder without following links, and open a file without following a link,
// without blocking on a FIFO and without taking a terminal, then stat what was really opened.

import { constants } from 'node:fs';
import { lstat, open, opendir } from 'node:fs/promises';
import type { OpenedFile, StickFs, StickEntry } from '../../media/index.js';
import { artifactFromHandle } from '../os/files.js';

function kindOf(entry: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): StickEntry['kind'] {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'directory';
  return entry.isFile() ? 'file' : 'other';
}

export const realStickFs: StickFs = {
  async *list(path) {
    const dir = await opendir(path, { bufferSize: 256 });
    for await (const entry of dir) yield { name: entry.name, kind: kindOf(entry) };
  },
  async device(path) {
    const stats = await lstat(path);
    return { dev: stats.dev, isDirectory: stats.isDirectory() };
  },
  async open(path): Promise<OpenedFile> {
    // O_NOFOLLOW: a link swapped in after the listing fails with ELOOP instead of being followed.
    // O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOCTTY: a tty node is never adopted.
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const stats = await handle.stat();
      return { dev: stats.dev, isFile: stats.isFile(), size: stats.size, artifact: artifactFromHandle(handle, path, stats.isFile() ? stats.size : null) };
    } catch (err) {
      await handle.close();
      throw err;
    }
  },
};
