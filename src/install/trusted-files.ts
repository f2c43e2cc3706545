// The files a deploying command (daemon, install, health) must be able to trust before it acts:
// the config, its signature keys and the state folder with the journal, ledger and lock in it.
// The rule itself (root-owned, writable by root only, when running as root) is src/system/config/file-trust.ts.

import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { LoadedConfig } from '../policy/index.js';
import { LOCK_FILE } from '../system/state/state-store.js';
import { assertRootOnly, type TrustOptions, type TrustedFile } from '../system/config/file-trust.js';

export function trustedFiles(loaded: LoadedConfig): TrustedFile[] {
  const dir = loaded.config.state.dir;
  return [
    { what: 'the config', path: loaded.file },
    ...loaded.config.signature.keys.map((path) => ({ what: 'the signature key', path })),
    // A key that signs diagnostics requests decides who may read the device's logs.
    ...(loaded.config.diagnostics.enabled ? loaded.config.diagnostics.keys.map((path) => ({ what: 'the diagnostics key', path: isAbsolute(path) ? path : resolve(dirname(loaded.file), path) })) : []),
    // Made at the first install; then it and every file in it must be root's alone.
    { what: 'the state folder', path: dir, mayBeAbsent: true },
    ...['journal.json', 'ledger.jsonl', LOCK_FILE].map((name) => ({ what: 'the state file', path: join(dir, name), mayBeAbsent: true })),
  ];
}

/** Throws CONFIG_UNSAFE_PERMISSIONS naming the file when one of them is not root's alone. */
export function assertTrustedFiles(loaded: LoadedConfig, options: TrustOptions = {}): Promise<void> {
  return assertRootOnly(trustedFiles(loaded), options);
}
