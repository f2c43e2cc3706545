// The one error type of usb-updater: a stable machine-readable code plus a human message.
// Codes are a public contract (documented in src/errors/README.md, each checked by a test): add new ones,
// never rename or reuse one. Only the CLI maps codes to exit codes.

export const ERROR_CODES = {
  ARTIFACT_EMPTY: 'the file is empty',
  ARTIFACT_NOT_TAR: 'the file is not a tar archive, so not a Mender artifact',
  ARTIFACT_TRUNCATED: 'the artifact ends before it is complete',
  ARTIFACT_BAD_ENTRY: 'a tar entry is not a regular file, or its name is unsafe',
  ARTIFACT_UNKNOWN_MEMBER: 'the artifact holds a member that the format does not define',
  ARTIFACT_DUPLICATE_MEMBER: 'a member appears twice',
  ARTIFACT_BAD_ORDER: 'a member is out of the order the format requires',
  ARTIFACT_MISSING_MEMBER: 'a required member is missing',
  ARTIFACT_TOO_LARGE: 'a metadata member exceeds its size limit, or expands beyond the decompression bound',
  ARTIFACT_BAD_VERSION: 'the version member is malformed or names an unsupported format',
  ARTIFACT_BAD_MANIFEST: 'the manifest is malformed',
  ARTIFACT_BAD_HEADER: 'the header is malformed',
  ARTIFACT_COMPRESSION: 'a member is compressed with an unknown method, or its compressed data is corrupt',
  ARTIFACT_CHECKSUM_MISMATCH: 'a member or payload file does not match its checksum in the manifest',
  ARTIFACT_PAYLOAD_MISMATCH: 'the payload files differ from those the manifest and header list',
  ARTIFACT_SIGNATURE_MISSING: 'a verification key was given but the artifact is not signed',
  ARTIFACT_SIGNATURE_INVALID: 'the signature does not verify with any of the given keys, or is malformed',
  KEY_INVALID: 'a public key file cannot be read or is not a usable RSA (>= 2048 bits) or EC P-256 key',
  IO_ERROR: 'a file could not be opened or read',
  USAGE_ERROR: 'a command-line argument is malformed',
  CONFIG_INVALID: 'the config file has errors; each is printed as FILE:LINE:COL key.path: message',
  MEDIA_GONE: 'the stick went away (unplugged or unmounted) while it was being searched',
  MEDIA_TOO_MANY_ENTRIES: 'the stick holds more folder entries than search.max_entries allows',
  MEDIA_TIMEOUT: 'searching the stick and reading its headers took longer than search.timeout',
  INSTALL_SOURCE_CHANGED: 'the artifact read differently at install time than when it was checked; nothing was installed',
  INSTALL_FAILED: 'the Mender client failed to install the artifact (its own message follows)',
  INSTALL_STALLED: 'the Mender client took no byte of the artifact for client.stall_timeout; it was ended and nothing is pending',
  INSTALL_NO_CLIENT: 'no Mender client (mender 3.x or mender-update 4.x+) was found or it does not run',
  STATE_CORRUPT: 'the journal is truncated, not JSON, or misses fields, or a state file is not a regular file',
  STATE_VERSION_UNKNOWN: 'a state file was written in a format version, or names a state, that this version does not know',
  STATE_WRITE_FAILED: 'a state file could not be written; the previous content is intact',
  STATE_LOCKED: 'another live process holds the deployment lock',
  STATE_BAD_TRANSITION: 'an event is not possible in the current deployment state',
  INSTALL_MANAGED_MODE: 'the Mender client runs as a daemon (managed mode); standalone installs must not run beside it',
  INSTALL_PENDING_UPDATE: 'an install was asked for while a deployment is still pending',
  MEDIA_BAD_OPTION: 'a media option is unusable: a media root that is not an absolute path, or no allowed filesystem type',
  MEDIA_MOUNT_TABLE: 'the kernel mount table (/proc/self/mountinfo) cannot be read',
  HEALTH_CHECK_FAILED: 'a required health check failed on every attempt, or at once (a failed or unknown systemd unit)',
  HEALTH_TIMEOUT: 'a required health check had not passed when the overall health deadline (health.deadline) was reached',
  CONFIG_UNSAFE_PERMISSIONS: 'running as root, the config, a signature key or a state file (or its folder) is not owned by root or is writable by group or others; the message names the file',
  // Recorded in the journal and the ledger as a deployment's last error (never thrown to the CLI):
  REBOOT_FAILED: 'the reboot command failed or did not return within reboot.timeout; the install was rolled back before any reboot',
  ROLLBACK_FAILED: 'mender rollback failed, or after it the bootloader still boots the new image or has an update pending',
  COMMIT_FAILED: 'mender commit failed after the health checks passed; the update is rolled back',
  UNEXPECTED_BOOT: 'the boot after the install is neither the trial boot of the new image nor the old image after a bootloader fallback; the update is rolled back',
  STEP_FAILED: 'a step of the deployment failed with an error that has no code of its own; the message names the state',
  // Shown and logged by the daemon for a USB disk none of whose filesystems was mounted in media.mount_timeout:
  MEDIA_UNREADABLE: 'a USB disk was plugged in but none of its filesystems was mounted within media.mount_timeout: no filesystem, a filesystem type not allowed, or a mount that failed',
  // A diagnostics request on a stick that was refused (issue 17); said in the stick's report, never thrown to an update:
  DIAGNOSTICS_DISABLED: 'a stick carries a diagnostics request, but diagnostics are off on this device (diagnostics.enabled)',
  DIAGNOSTICS_REQUEST_MALFORMED: 'the diagnostics request or its signature file is too large, not a regular file, unreadable, or not the request format',
  DIAGNOSTICS_REQUEST_UNSIGNED: 'the diagnostics request has no signature file beside it',
  DIAGNOSTICS_REQUEST_SIGNATURE_INVALID: 'the diagnostics request is not signed by any of the keys that may sign requests (diagnostics.keys, else signature.keys)',
  DIAGNOSTICS_REQUEST_EXPIRED: 'the diagnostics request has expired, is not valid yet (the device clock?) or is valid for longer than diagnostics.max_validity',
  DIAGNOSTICS_REQUEST_FOREIGN: 'the diagnostics request names another device type or device id',
  // Logged by the daemon for a stick or a boot check that failed with something other than an UpdaterError:
  INTERNAL: 'a bug: an error without a code was thrown; the message says what',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class UpdaterError extends Error {
  override readonly name = 'UpdaterError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isUpdaterError(err: unknown): err is UpdaterError {
  return err instanceof UpdaterError;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** The code of anything thrown: an UpdaterError's own, else INTERNAL (a bug). */
export function errorCodeOf(err: unknown): ErrorCode {
  return isUpdaterError(err) ? err.code : 'INTERNAL';
}
