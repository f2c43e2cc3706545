// The one place error codes become process exit codes. Exit codes are a stable contract for
// scripts: 0 success, 1 invalid or unverifiable artifact, 2 usage error (including an unusable key
// file or media option), 3 an input file (or the kernel mount table) could not be read.

import type { ErrorCode } from '../errors/index.js';

export const EXIT = { OK: 0, INVALID: 1, USAGE: 2, IO: 3 } as const;
/** check's exit codes: 0 selected, 3 nothing to install, 1 any error, 2 usage. */
export const CHECK_EXIT = { SELECTED: 0, ERROR: 1, USAGE: 2, NOTHING: 3 } as const;
/** install's exit codes: 0 installed, 3 nothing to install, 1 failed or refused, 2 usage. */
export const INSTALL_EXIT = { INSTALLED: 0, FAILED: 1, USAGE: 2, NOTHING: 3 } as const;

/** reports' exit codes: 0 every report read, 1 some files refused (the rest shown), 2 usage, 3 a path unreadable, 4 no report found. */
export const REPORTS_EXIT = { OK: 0, REFUSED: 1, USAGE: 2, IO: 3, NONE: 4 } as const;

/**
 * health's exit codes, chosen for systemd: 0 this boot is good (committed, nothing pending, or the
 * install's reboot not done yet); 1 an error, or the deployment failed; 2 usage; 3 rolled back, the
 * old image runs (a good boot: the unit lists 3 in SuccessExitStatus); 4 the new image failed its
 * checks and the device is going back to the old one (this boot is not good).
 */
export const HEALTH_EXIT = { OK: 0, FAILED: 1, USAGE: 2, ROLLED_BACK: 3, ROLLING_BACK: 4 } as const;

export function exitCodeFor(code: ErrorCode): number {
  // Command-line mistakes are reported by the parser (commander) and exit USAGE too.
  if (code === 'KEY_INVALID' || code === 'USAGE_ERROR' || code === 'MEDIA_BAD_OPTION') return EXIT.USAGE;
  if (code === 'IO_ERROR' || code === 'MEDIA_MOUNT_TABLE') return EXIT.IO;
  return EXIT.INVALID;
}
