// Fixed bounds on everything the reader holds in memory. A USB stick is untrusted input: every
// metadata member is size-checked from its tar header before a byte of it is read, and compressed
// headers are bounded both absolutely and by their expansion ratio, so a few bytes cannot expand into
// gigabytes. Payload data is never held: it is streamed and hashed.

const KiB = 1024;
const MiB = 1024 * KiB;

export const LIMITS = {
  /** `version` is `{"format":"mender","version":3}`: 31 bytes. */
  versionBytes: 1 * KiB,
  /** One 64-hex line per payload file; 1 MiB is about 10,000 files. */
  manifestBytes: 1 * MiB,
  /** base64 of an RSA-8192 signature is 1,368 bytes. */
  signatureBytes: 4 * KiB,
  /** Compressed size of `header.tar.*` / `header-augment.tar.*` as stored. */
  headerStoredBytes: 16 * MiB,
  /** Uncompressed size of a header tar, whatever its ratio. */
  headerExpandedBytes: 16 * MiB,
  /** A header may expand to `max(headerRatioFloorBytes, ratio × stored)`: tar padding compresses well. */
  headerExpansionRatio: 200,
  headerRatioFloorBytes: 1 * MiB,
  /** Entries inside one header tar (header-info, scripts, type-info, meta-data, files). */
  headerEntries: 1000,
  /** One JSON document or state script inside a header tar. */
  headerEntryBytes: 4 * MiB,
  /** Payloads in one artifact (the Mender client itself installs one). */
  payloads: 64,
  /** Files listed across the manifests. */
  payloadFiles: 10_000,
  /** Length of a payload file name or state script name. */
  nameLength: 255,
  /** Length of any tar entry path (a header entry is `scripts/` or `headers/NNNN/` plus a name). */
  pathLength: 1024,
  /**
   * Nesting of any JSON member (version, header-info, type-info, files, meta-data, in the header and
   * its augment). Mender writes at most 3 levels; meta-data is free-form, 32 leaves it room while
   * every recursive walk over it stays a few frames deep.
   */
  jsonDepth: 32,
  /**
   * One string (key or value) in version, header-info, type-info and files: artifact names, groups,
   * device types, provides and depends. Mender's own names are short; 1 KiB also keeps every
   * pattern or glob run over them cheap whatever its complexity.
   */
  jsonNameLength: 1024,
  /** One string (key or value) in meta-data, which may carry longer values (a URL, a description). */
  jsonStringLength: 64 * KiB,
  /**
   * The tar stream may run this far past what its member headers declare (end blocks, record
   * padding, read-ahead of one chunk) before the read gives up: zeros of a pre-allocated or aborted
   * copy, or an endless pipe, are refused after this many bytes instead of read to their end.
   */
  tarSlackBytes: 1 * MiB,
  /** `inspect -`: the most bytes read from standard input. */
  stdinBytes: 64 * 1024 * MiB,
} as const;
