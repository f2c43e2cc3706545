// What a technician should do about each error code and reason code, in the words of the report
// written to the stick. One table keyed by every code, so the compiler refuses a new code without a
// hint. Written for someone holding a stick and a laptop, not a shell on the device.

import type { ErrorCode } from '../errors/index.js';
import type { ReasonCode } from '../policy/index.js';

const ASK_VENDOR = 'contact the maker of the device and send them this report';
const RECOPY = 'copy the artifact to the stick again from the original (a copy was damaged or cut short), then plug the stick in again';

const ERROR_HINTS: Record<ErrorCode, string> = {
  ARTIFACT_EMPTY: RECOPY,
  ARTIFACT_NOT_TAR: 'this file is not a Mender artifact; put the .mender file you were given on the stick',
  ARTIFACT_TRUNCATED: RECOPY,
  ARTIFACT_BAD_ENTRY: `the artifact holds unsafe entries and was refused; ${ASK_VENDOR}`,
  ARTIFACT_UNKNOWN_MEMBER: `the artifact is not in a format this device reads; ${ASK_VENDOR}`,
  ARTIFACT_DUPLICATE_MEMBER: `the artifact is malformed; ${ASK_VENDOR}`,
  ARTIFACT_BAD_ORDER: `the artifact is malformed; ${ASK_VENDOR}`,
  ARTIFACT_MISSING_MEMBER: RECOPY,
  ARTIFACT_TOO_LARGE: `the artifact's metadata is larger than this device accepts; ${ASK_VENDOR}`,
  ARTIFACT_BAD_VERSION: `the artifact was written in a format version this device does not read; ${ASK_VENDOR}`,
  ARTIFACT_BAD_MANIFEST: RECOPY,
  ARTIFACT_BAD_HEADER: `the artifact's header is malformed; ${ASK_VENDOR}`,
  ARTIFACT_COMPRESSION: RECOPY,
  ARTIFACT_CHECKSUM_MISMATCH: RECOPY,
  ARTIFACT_PAYLOAD_MISMATCH: RECOPY,
  ARTIFACT_SIGNATURE_MISSING: `this device only installs signed artifacts; ask for the signed one (${ASK_VENDOR})`,
  ARTIFACT_SIGNATURE_INVALID: `the artifact is not signed with a key this device trusts; ask for the right artifact (${ASK_VENDOR})`,
  KEY_INVALID: `a signing key in the device's configuration is unusable; ${ASK_VENDOR}`,
  IO_ERROR: 'the stick could not be read; try another stick or copy the files again, then plug it in again',
  USAGE_ERROR: 'a command was typed wrongly; see usb-updater --help',
  CONFIG_INVALID: `the device's update configuration has errors; ${ASK_VENDOR}`,
  MEDIA_GONE: 'the stick was pulled out or failed; plug it in again and wait for the light',
  MEDIA_TOO_MANY_ENTRIES: 'the stick holds too many files; use a stick that holds only the update',
  MEDIA_TIMEOUT: 'the stick was too slow to read; try another stick, with only the update on it',
  INSTALL_SOURCE_CHANGED: 'the file on the stick changed while it was being installed (a failing stick?); nothing was installed: copy it again or use another stick',
  INSTALL_FAILED: `the update could not be installed; the device still runs what it ran before. Try again once; if it fails again, ${ASK_VENDOR}`,
  INSTALL_STALLED: 'the update stopped moving (a slow or failing stick?); nothing was installed and the device still runs what it ran before: plug the stick in again, or copy the update to another stick',
  INSTALL_NO_CLIENT: `the device's update software is missing; ${ASK_VENDOR}`,
  STATE_CORRUPT: 'the device\'s update records are damaged; restart the device and try again',
  STATE_VERSION_UNKNOWN: `the device's update records were written by a newer version; ${ASK_VENDOR}`,
  STATE_WRITE_FAILED: 'the device could not save its update records (its storage may be full); nothing was installed',
  STATE_LOCKED: 'another update is running on the device; wait until it is done, then plug the stick in again',
  STATE_BAD_TRANSITION: `an internal error; ${ASK_VENDOR}`,
  INSTALL_MANAGED_MODE: `the device is managed by an update server, so it takes no updates from sticks; ${ASK_VENDOR}`,
  INSTALL_PENDING_UPDATE: 'an earlier update is still waiting to be confirmed; restart the device, wait until it is up, then plug the stick in again',
  MEDIA_BAD_OPTION: `the device's media settings are wrong; ${ASK_VENDOR}`,
  MEDIA_MOUNT_TABLE: 'the device could not list its mounted drives; restart it and try again',
  HEALTH_CHECK_FAILED: `the new software did not pass its checks after the restart and was undone; the device runs what it ran before; ${ASK_VENDOR}`,
  HEALTH_TIMEOUT: `the new software was not ready in time after the restart and was undone; the device runs what it ran before; ${ASK_VENDOR}`,
  CONFIG_UNSAFE_PERMISSIONS: `the device's own settings files are not protected, so the updater refuses to run; ${ASK_VENDOR}`,
  REBOOT_FAILED: 'the device could not restart itself after the install, so the update was undone; restart the device and try again',
  ROLLBACK_FAILED: `the device could not undo a failed update and may start the new software on its next restart; ${ASK_VENDOR}`,
  COMMIT_FAILED: `the new software passed its checks but could not be made permanent, so it was undone; ${ASK_VENDOR}`,
  UNEXPECTED_BOOT: `the device did not start the way an update expects, so the update was undone; ${ASK_VENDOR}`,
  STEP_FAILED: `a step of the update failed; restart the device: the update is finished or undone when it starts. If it happens again, ${ASK_VENDOR}`,
  MEDIA_UNREADABLE: 'the device cannot read this stick (not formatted, formatted in a way the device does not take, or damaged); format it as FAT32 or exFAT, copy the update to it and plug it in again',
  DIAGNOSTICS_DISABLED: `this device does not write diagnostics; if you need them, ${ASK_VENDOR}`,
  DIAGNOSTICS_REQUEST_MALFORMED: 'the diagnostics request on the stick is damaged; make it again (usb-updater diagnostics request) and copy both files to the top folder of the stick',
  DIAGNOSTICS_REQUEST_UNSIGNED: 'copy the .sig file made with the request beside it on the stick',
  DIAGNOSTICS_REQUEST_SIGNATURE_INVALID: `the diagnostics request is not signed with a key this device trusts (or was changed after signing); ask for a request made for this device (${ASK_VENDOR})`,
  DIAGNOSTICS_REQUEST_EXPIRED: 'the diagnostics request is out of date, or the device clock is wrong; make a new request',
  DIAGNOSTICS_REQUEST_FOREIGN: 'the diagnostics request is for another device; make one for this device type or id (both are in this report)',
  INTERNAL: `an internal error; ${ASK_VENDOR}`,
};

const REASON_HINTS: Record<ReasonCode, string> = {
  HIDDEN_FILE: 'hidden files are ignored; nothing to do',
  APPLEDOUBLE_FILE: 'a file a Mac adds beside each copied file; ignored, nothing to do',
  SYMLINK: 'links are never followed; copy the artifact itself to the stick',
  BAD_NAME: 'rename the file to plain letters, digits, dots and dashes',
  NOT_REGULAR_FILE: 'not a file; copy the artifact itself to the stick',
  EMPTY_FILE: RECOPY,
  FAT32_TRUNCATED: 'the copy was cut at 4 GiB by the FAT32 stick; format the stick as exFAT or ext4 and copy the artifact again',
  UNREADABLE: 'the file could not be read; copy it again or use another stick',
  INVALID_ARTIFACT: RECOPY,
  INTERNAL_ERROR: `this file could not be checked (an internal error); ${ASK_VENDOR}`,
  TOO_LARGE: `the artifact is larger than this device accepts; ${ASK_VENDOR}`,
  DEVICE_TYPE_MISMATCH: 'this artifact is made for another kind of device; get the artifact for this device type',
  DEPENDS_NOT_MET: 'this artifact needs another version installed first; install the update it builds on, then this one',
  DEPENDS_CONFLICT: `the artifact is malformed (conflicting depends); ${ASK_VENDOR}`,
  UNSIGNED: 'this device only installs signed artifacts; ask for the signed artifact',
  SIGNATURE_INVALID: 'the artifact is not signed with a key this device trusts; ask for the right artifact',
  AUGMENTED_FIELDS: `the artifact has unsigned changes this device refuses; ${ASK_VENDOR}`,
  NAME_NOT_ALLOWED: 'this device is not allowed to install artifacts of this name; check that it is the right update',
  NAME_DENIED: 'this device is configured to refuse this artifact; check that it is the right update',
  PAYLOAD_TYPE_NOT_ALLOWED: 'this kind of update is not allowed on this device; check that it is the right update',
  NO_PAYLOAD: 'the artifact holds nothing to install; check that it is the right update',
  NAME_TOO_LONG: `the artifact's name is far too long to be a real update; ${ASK_VENDOR}`,
  NO_VERSION: `no version number could be read from the artifact's name; ${ASK_VENDOR}`,
  DOWNGRADE: 'this is older than what the device runs; downgrades are not allowed. Nothing to do if the device is up to date',
  FAILED_BEFORE: 'this update failed or was undone on this device before, so it is not tried again; send this report to the maker of the device',
  ALREADY_INSTALLED: 'the device already runs this update; nothing to do',
  SAME_VERSION: 'the device already runs this version; nothing to do',
  NOT_NEWEST: 'a newer update on the same stick was chosen instead; nothing to do',
  DUPLICATE: 'a copy of the chosen update; nothing to do',
  TIE_BROKEN: 'another file with the same version was chosen; keep one copy of each update on the stick',
  AMBIGUOUS: 'two different updates have the same version; leave only the right one on the stick and plug it in again',
  MEDIA_FILESYSTEM_NOT_ALLOWED: 'this device does not take sticks formatted this way; format the stick as FAT32, exFAT or ext4 (ask which one)',
  MEDIA_LABEL_NOT_ALLOWED: 'this device only takes sticks with a particular name (label); ask which one',
  MEDIA_UUID_NOT_ALLOWED: 'this device only takes particular sticks; use the stick you were given for it',
  MEDIA_USB_NOT_ALLOWED: 'this device only takes particular USB sticks; use the stick you were given for it',
};

/** For a code this version does not know (written by another version): safe advice. */
export const GENERIC_HINT = `restart the device and try again; if it happens again, ${ASK_VENDOR}`;

const isKeyOf = <T extends object>(table: T, key: string): key is Extract<keyof T, string> => Object.hasOwn(table, key);

/** What to do about an error code or a reason code, for a technician. */
export function hintFor(code: string): string {
  if (isKeyOf(ERROR_HINTS, code)) return ERROR_HINTS[code];
  if (isKeyOf(REASON_HINTS, code)) return REASON_HINTS[code];
  return GENERIC_HINT;
}

/** Every code with a hint, error codes first: for the table in src/errors/README.md and its test. */
export function hintTable(): [code: string, hint: string][] {
  return [...Object.entries(ERROR_HINTS), ...Object.entries(REASON_HINTS)];
}
