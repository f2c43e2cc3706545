// Why a candidate was skipped, rejected or passed over, and why a whole stick was refused: stable
// codes (in `check --json`, the logs and the report on the stick) with what each means. Like error
// codes they are a public contract: add new ones, never rename or reuse one. Each is documented in
// config/README.md and produced by a test.

export const REASON_CODES = {
  // Files that are not artifact candidates at all.
  HIDDEN_FILE: 'a hidden file (its name starts with a dot)',
  APPLEDOUBLE_FILE: 'a macOS AppleDouble file (._name): metadata, not an artifact',
  SYMLINK: 'a symbolic link: never followed',
  BAD_NAME: 'the file name holds control characters or is not valid UTF-8',
  NOT_REGULAR_FILE: 'not a regular file (a FIFO, a device node, a socket or a folder)',
  EMPTY_FILE: 'an empty file',
  FAT32_TRUNCATED: 'exactly 4 GiB - 1 bytes, the FAT32 size limit: the copy was almost certainly cut short',
  // Artifacts that cannot be installed.
  UNREADABLE: 'the file could not be read',
  INVALID_ARTIFACT: 'not a valid Mender artifact (the message names the error code)',
  INTERNAL_ERROR: 'reading or deciding this file hit an unexpected error (a bug); the other files are still decided',
  TOO_LARGE: 'larger than artifacts.max_size',
  DEVICE_TYPE_MISMATCH: "this device's type is not in the artifact's device_type list",
  DEPENDS_NOT_MET: "an artifact_depends entry is not met by this device's provides",
  DEPENDS_CONFLICT: 'a payload and the header depend on the same key, which the Mender client refuses',
  UNSIGNED: 'not signed, and signature.required is true',
  SIGNATURE_INVALID: 'signed, but no configured key verifies the signature',
  AUGMENTED_FIELDS: 'the unsigned augment section changes the payload type, depends or provides',
  NAME_NOT_ALLOWED: 'the artifact name matches no artifacts.allow pattern',
  NAME_DENIED: 'the artifact name matches an artifacts.deny pattern',
  PAYLOAD_TYPE_NOT_ALLOWED: 'a payload type is not in artifacts.payload_types, or a payload has no type (a bootstrap artifact)',
  NO_PAYLOAD: 'the artifact has no payload to install',
  NAME_TOO_LONG: 'the artifact name (or the provide holding the version) is longer than 1024 characters',
  NO_VERSION: 'no version could be found or parsed with versioning.pattern and versioning.scheme',
  DOWNGRADE: 'older than the running version, and versioning.allow_downgrade is false',
  FAILED_BEFORE: 'failed or was rolled back on this device before, and artifacts.retry_failed is false',
  ALREADY_INSTALLED: 'the running artifact, and versioning.allow_reinstall is false',
  SAME_VERSION: 'the same version as the running one, and versioning.allow_reinstall is false',
  // Acceptable artifacts that were not chosen.
  NOT_NEWEST: 'acceptable, but another acceptable artifact has a higher version',
  DUPLICATE: 'a byte-for-byte copy of the chosen artifact (same name and checksums)',
  TIE_BROKEN: 'acceptable, but another artifact with the same version comes first by path (selection.on_tie is first-path)',
  AMBIGUOUS: 'acceptable, but another different artifact has the same highest version (selection.on_tie is refuse)',
  // Whole sticks.
  MEDIA_FILESYSTEM_NOT_ALLOWED: 'the filesystem type is not in media.filesystems',
  MEDIA_LABEL_NOT_ALLOWED: 'the filesystem label is not in media.labels',
  MEDIA_UUID_NOT_ALLOWED: 'the filesystem UUID is not in media.uuids',
  MEDIA_USB_NOT_ALLOWED: 'the USB identity matches no media.usb entry',
} as const;

export type ReasonCode = keyof typeof REASON_CODES;

export interface Reason {
  code: ReasonCode;
  /** A sentence for a technician, naming the values compared. */
  message: string;
}
