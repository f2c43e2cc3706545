// Temporary files and folders for tests, removed when the work is done.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function withTempFile<T>(name: string, content: string, work: (path: string) => Promise<T>): Promise<T> {
  return withTempDir((dir) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return work(path);
  });
}

/** Makes one folder per key of `folders` under `dir` (named after the key) and sets each key to its path. */
export function makeFolders(dir: string, folders: Record<string, string>): void {
  for (const name of Object.keys(folders)) {
    folders[name] = join(dir, name);
    mkdirSync(folders[name]);
  }
}
