// An in-memory stick for scanner tests: a tree of folders, files, links, FIFOs and nested mounts,
// with faults to inject (an errno when listing or opening a path), so a stick pulled mid-search is
// deterministic.

import type { ArtifactSource, OpenedFile, StickEntry, StickFs } from '../../../src/media/index.js';

export class Link {
  constructor(readonly target: string) {}
}
export class Fifo {}
/** Another filesystem mounted inside the stick. */
export class Mount {
  constructor(readonly tree: FakeTree) {}
}
export type FakeNode = Buffer | Link | Fifo | Mount | FakeTree;
export interface FakeTree {
  [name: string]: FakeNode;
}

const errno = (code: string, path: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: ${path}`), { code });
const isTree = (node: FakeNode): node is FakeTree => !Buffer.isBuffer(node) && !(node instanceof Link) && !(node instanceof Fifo) && !(node instanceof Mount);

export interface FakeStick extends StickFs {
  /** Paths opened and not closed yet. */
  readonly openPaths: Set<string>;
}

/**
 * A stick mounted at `root` holding `tree`; `faults` maps a path to the errno its list/open throws,
 * and `read:<path>` to what reading that file throws after its first 700 bytes: an errno, or `bug` for
 * a plain TypeError (a bug in a byte source).
 */
export function fakeStick(root: string, tree: FakeTree, faults: Record<string, string> = {}): FakeStick {
  const openPaths = new Set<string>();
  const find = (path: string): { node: FakeNode; dev: number } | undefined => {
    if (path !== root && !path.startsWith(`${root}/`)) return undefined;
    let node: FakeNode = tree;
    let dev = 1;
    for (const part of path.slice(root.length).split('/').filter((p) => p !== '')) {
      if (!isTree(node)) return undefined;
      let next: FakeNode | undefined = node[part];
      if (next instanceof Mount) {
        dev += 1;
        next = next.tree;
      }
      if (next === undefined) return undefined;
      node = next;
    }
    return { node, dev };
  };
  const fault = (path: string): void => {
    const code = faults[path];
    if (code !== undefined) throw errno(code, path);
  };
  const kindOf = (node: FakeNode): StickEntry['kind'] => (Buffer.isBuffer(node) ? 'file' : node instanceof Link ? 'symlink' : node instanceof Fifo ? 'other' : 'directory');
  return {
    openPaths,
    async *list(path): AsyncIterable<StickEntry> {
      await Promise.resolve();
      fault(path);
      const found = find(path);
      if (!found || !isTree(found.node)) throw errno('ENOENT', path);
      for (const [name, node] of Object.entries(found.node)) yield { name, kind: kindOf(node) };
    },
    device(path) {
      const found = find(path);
      if (!found) return Promise.reject(errno('ENOENT', path));
      return Promise.resolve({ dev: found.dev, isDirectory: isTree(found.node) });
    },
    open(path): Promise<OpenedFile> {
      const found = find(path);
      if (faults[path] !== undefined || !found) return Promise.reject(errno(faults[path] ?? 'ENOENT', path));
      const { node, dev } = found;
      if (node instanceof Link) return Promise.reject(errno('ELOOP', path));
      openPaths.add(path);
      const data = Buffer.isBuffer(node) ? node : Buffer.alloc(0);
      const artifact: ArtifactSource = {
        path,
        size: Buffer.isBuffer(node) ? data.length : null,
        async *chunks(chunkBytes: number, start = 0) {
          const readFault = faults[`read:${path}`];
          if (readFault !== undefined) {
            // The first 700 bytes (past the first tar header), then the fault.
            yield await Promise.resolve(data.subarray(start, start + Math.min(chunkBytes, 700)));
            throw readFault === 'bug' ? new TypeError('a bug in the byte source') : errno(readFault, path);
          }
          for (let at = start; at < data.length; at += chunkBytes) yield await Promise.resolve(data.subarray(at, at + chunkBytes));
        },
        close: () => {
          openPaths.delete(path);
          return Promise.resolve();
        },
      };
      return Promise.resolve({ dev, isFile: Buffer.isBuffer(node), size: data.length, artifact });
    },
  };
}
