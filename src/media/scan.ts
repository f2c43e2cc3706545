// Safe search of a mounted stick for artifact candidates. A stick is hostile input: links are never
// followed, nothing but regular files is opened, each candidate is opened once (O_NOFOLLOW) and the
// open descriptor is handed on so every later read comes from that same file, the walk stays on the
// stick's own filesystem, and depth and entry count are bounded. A stick that goes away mid-search
// ends the search with MEDIA_GONE and every descriptor closed.
//
// Folders are listed by path: on a stick mounted read-only nothing can swap a folder for a link
// between the listing and the open, and the final open of each file refuses links regardless.

import { UpdaterError } from '../errors/index.js';
import type { PathRule, Reason } from '../policy/index.js';

export interface StickEntry {
  name: string;
  kind: 'file' | 'directory' | 'symlink' | 'other';
}

export interface ChunkOptions {
  /**
   * The source may reuse its buffers: a chunk is valid only until the next one is asked for. For a
   * consumer that is done with each chunk by then (the install stream), and spares it an allocation
   * (and its page faults) a chunk.
   */
  reuse?: boolean;
}

/** A byte source read from one open descriptor. */
export interface ArtifactSource {
  path: string;
  size: number | null;
  /** The bytes from `start` (default 0) to the end, through the one open descriptor. */
  chunks(chunkBytes: number, start?: number, options?: ChunkOptions): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

export interface OpenedFile {
  dev: number;
  isFile: boolean;
  size: number;
  artifact: ArtifactSource;
}

/** The file-system calls of a search; the real one lives in src/system, tests inject faults. */
export interface StickFs {
  list(path: string): AsyncIterable<StickEntry>;
  device(path: string): Promise<{ dev: number; isDirectory: boolean }>;
  open(path: string): Promise<OpenedFile>;
}

export interface ScanOptions {
  rule: PathRule;
  /** Folder levels below the root to search (0: the root only). */
  maxDepth: number;
  /** Most folder entries examined; past it the search fails rather than returning half a stick. */
  maxEntries: number;
  signal?: AbortSignal;
  /** The stick's filesystem type (vfat, ext4…), when known: the FAT32 size limit is FAT's only. */
  fsType?: string | undefined;
}

export interface FoundFile {
  /** Relative to the stick's root. */
  path: string;
  size: number;
  artifact: ArtifactSource;
}

export interface ScanResult {
  files: FoundFile[];
  skipped: { path: string; reason: Reason }[];
  entries: number;
}

// The largest file FAT32 can hold. Copy tools that hit the limit leave exactly this many bytes.
const FAT32_MAX_FILE = 2 ** 32 - 1;
/** The filesystem types (as blkid and the mount table name them) with FAT's 4 GiB - 1 limit. */
const FAT_TYPES = new Set(['vfat', 'msdos', 'fat', 'fat32']);
// Errors that mean the stick (or its mount) is no longer there.
const GONE = new Set(['ENOENT', 'EIO', 'ENODEV', 'ENXIO', 'ENOTCONN', 'ESTALE', 'ENOTDIR']);

/** Control characters, or the replacement character left where a name was not valid UTF-8. */
// eslint-disable-next-line no-control-regex
const BAD_NAME = /[\u0000-\u001f\u007f\ufffd]/u;

function joinPath(root: string, relative: string): string {
  if (relative === '') return root;
  return root.endsWith('/') ? `${root}${relative}` : `${root}/${relative}`;
}

class Search {
  readonly result: ScanResult = { files: [], skipped: [], entries: 0 };

  constructor(
    private readonly root: string,
    private readonly rootDev: number,
    private readonly fs: StickFs,
    private readonly options: ScanOptions,
  ) {}

  private skip(path: string, code: Reason['code'], message: string): void {
    this.result.skipped.push({ path, reason: { code, message } });
  }

  async folder(relative: string, depth: number): Promise<void> {
    const entries: StickEntry[] = [];
    for await (const entry of this.fs.list(joinPath(this.root, relative))) {
      this.options.signal?.throwIfAborted();
      this.result.entries += 1;
      if (this.result.entries > this.options.maxEntries) {
        throw new UpdaterError('MEDIA_TOO_MANY_ENTRIES', `${this.root}: more than ${this.options.maxEntries} entries (search.max_entries); the stick was not searched`);
      }
      entries.push(entry);
    }
    // Sorted so the same stick always gives the same candidates in the same order.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) await this.entry(relative === '' ? entry.name : `${relative}/${entry.name}`, entry, depth);
  }

  private async entry(path: string, entry: StickEntry, depth: number): Promise<void> {
    // A folder whose name is not valid UTF-8 cannot be named again by its decoded name (listing it
    // would fail as if the stick had gone away), and one with control characters is as suspect as
    // such a file: neither is searched, and the skip says why what is inside was not found.
    if (entry.kind === 'directory' && BAD_NAME.test(entry.name)) {
      return this.skip(path, 'BAD_NAME', 'a folder whose name holds control characters or is not valid UTF-8 (not searched)');
    }
    if (entry.kind === 'directory' && depth < this.options.maxDepth) {
      const { dev, isDirectory } = await this.fs.device(joinPath(this.root, path));
      // Another filesystem mounted inside the stick is not part of it.
      if (isDirectory && dev === this.rootDev) await this.folder(path, depth + 1);
    }
    const verdict = this.options.rule(path);
    if (!verdict.candidate) {
      if (verdict.skip) this.result.skipped.push({ path, reason: verdict.skip });
      return;
    }
    if (BAD_NAME.test(entry.name)) return this.skip(path, 'BAD_NAME', 'the name holds control characters or is not valid UTF-8');
    if (entry.kind === 'symlink') return this.skip(path, 'SYMLINK', 'a symbolic link (never followed)');
    if (entry.kind !== 'file') return this.skip(path, 'NOT_REGULAR_FILE', entry.kind === 'directory' ? 'a folder' : 'not a regular file (a FIFO, device node or socket)');
    await this.candidate(path);
  }

  private async candidate(path: string): Promise<void> {
    const opened = await openCandidate(joinPath(this.root, path), path, this.fs, this.rootDev, this.options.fsType);
    if ('reason' in opened) this.result.skipped.push({ path, reason: opened.reason });
    else this.result.files.push(opened);
  }
}

/**
 * Opens one candidate file safely (no links, regular files only) and checks what can be told from
 * its size. `path` is what the result is named; `rootDev`, when given, is the stick's filesystem.
 */
export async function openCandidate(fsPath: string, path: string, fs: StickFs, rootDev?: number, fsType?: string): Promise<FoundFile | { reason: Reason }> {
  let opened: OpenedFile;
  try {
    opened = await fs.open(fsPath);
  } catch (err) {
    // ELOOP: it is a link (or became one after the listing); O_NOFOLLOW refused it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { reason: { code: 'SYMLINK', message: 'a symbolic link (never followed)' } };
    // One file we may not read (mode 000, the service not root) is that file's reason, not the stick's.
    if (code === 'EACCES' || code === 'EPERM') return { reason: { code: 'UNREADABLE', message: `permission denied (${code})` } };
    throw err;
  }
  const reject = async (code: Reason['code'], message: string): Promise<{ reason: Reason }> => {
    await opened.artifact.close();
    return { reason: { code, message } };
  };
  if (!opened.isFile) return reject('NOT_REGULAR_FILE', 'not a regular file (a FIFO, device node or socket)');
  if (rootDev !== undefined && opened.dev !== rootDev) return reject('NOT_REGULAR_FILE', 'on another filesystem than the stick');
  if (opened.size === 0) return reject('EMPTY_FILE', 'an empty file');
  // Only on FAT: on ext4 or exFAT a file of this size is just a file (issue 15). Folders given by
  // hand (`check DIR`) have no known type, and are judged as a FAT stick would be.
  if (opened.size === FAT32_MAX_FILE && (fsType === undefined || FAT_TYPES.has(fsType))) {
    return reject('FAT32_TRUNCATED', 'exactly 4 GiB - 1 bytes, the largest file FAT32 holds: the copy was cut short; use exFAT or ext4 for larger artifacts');
  }
  return { path, size: opened.size, artifact: opened.artifact };
}

/**
 * Searches the stick mounted at `root`. The caller owns the returned descriptors and must close
 * every `files[i].artifact`. On any error, every descriptor already opened is closed first.
 */
export async function scanStick(root: string, fs: StickFs, options: ScanOptions): Promise<ScanResult> {
  let search: Search | null = null;
  try {
    const { dev, isDirectory } = await fs.device(root);
    if (!isDirectory) throw new UpdaterError('MEDIA_GONE', `${root}: not a folder`);
    search = new Search(root, dev, fs, options);
    await search.folder('', 0);
    return search.result;
  } catch (err) {
    await Promise.allSettled((search?.result.files ?? []).map((f) => f.artifact.close()));
    if (options.signal?.aborted) throw new UpdaterError('MEDIA_TIMEOUT', `${root}: the search took longer than allowed (search.timeout)`, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && GONE.has(code)) throw new UpdaterError('MEDIA_GONE', `${root}: the stick went away during the search (${code})`, { cause: err });
    if (code === 'EACCES' || code === 'EPERM') throw new UpdaterError('IO_ERROR', `${root}: permission denied while searching the stick`, { cause: err });
    throw err;
  }
}
