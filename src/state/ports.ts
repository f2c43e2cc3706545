// The ports through which the state core reaches the disk, the clock and the boot: the real ones
// live in src/system/, tests pass fakes. Keeping them here keeps src/state free of I/O.

/** The files of the state folder that the core reads and writes. */
export type StateFile = 'journal.json' | 'ledger.jsonl';

export interface StateStore {
  /** The whole file, or null when it does not exist. Read failures throw IO_ERROR. */
  read(file: StateFile): Promise<string | null>;
  /**
   * Replaces the file atomically (temp file, fsync, rename, fsync of the folder): after a crash at
   * any point the file holds either the old or the new content, never a mix. Throws
   * STATE_WRITE_FAILED, with the old content intact.
   */
  replace(file: StateFile, data: string): Promise<void>;
  /** Appends and fsyncs. A crash may leave a torn last line, which readers must tolerate. */
  append(file: StateFile, data: string): Promise<void>;
  /** Moves the file aside (to `<file>.bad`, replacing an older one) and returns the new name. */
  setAside(file: StateFile): Promise<string>;
}

export interface StateDeps {
  store: StateStore;
  /** The current time as an ISO 8601 string. */
  now(): string;
  /** This boot's id (/proc/sys/kernel/random/boot_id): a new value after every reboot. */
  bootId: string;
  /** A new unique deployment id. */
  newId(): string;
}
