// The parsed form of a Mender artifact, as the rest of usb-updater sees it.
// Field names follow Mender's own JSON keys so that logs and `inspect --json` line up with
// `mender-artifact read` and the client.

export type Compression = 'gzip' | 'lzma' | 'zstd' | 'none';

export type ProvidesMap = Record<string, string>;
/** Depends values are strings, or lists of strings (artifact_name, device_type, artifact_group). */
export type DependsMap = Record<string, string | string[]>;

export interface PayloadFile {
  name: string;
  /** Bytes of the uncompressed file; null until the payload was streamed (header-only mode). */
  size: number | null;
  /** SHA-256 hex from the manifest; in full mode it was also checked against the data. */
  checksum: string;
  /** True when the checksum comes from `manifest-augment`, which no signature covers. */
  augmented: boolean;
}

export interface Payload {
  /** null: no type, a bootstrap artifact (`mender-artifact write bootstrap-artifact`); it installs nothing. */
  type: string | null;
  /** type-info provides, with augmented keys merged over the signed ones (as the client does). */
  artifact_provides: ProvidesMap;
  artifact_depends: DependsMap;
  clears_artifact_provides: string[];
  meta_data: Record<string, unknown> | null;
  files: PayloadFile[];
  /** Keys and fields that came from the unsigned augment header. */
  augmented: {
    /** The augment header changed the payload type. */
    type: boolean;
    artifact_provides: string[];
    artifact_depends: string[];
    meta_data: boolean;
  };
}

export interface ArtifactInfo {
  format_version: 2 | 3;
  name: string;
  group: string | null;
  device_types: string[];
  /** header-info provides (artifact_name, artifact_group). */
  artifact_provides: ProvidesMap;
  /** header-info depends (device_type, artifact_name, artifact_group). */
  artifact_depends: DependsMap;
  compression: Compression;
  signed: boolean;
  /** true/false when keys were given, null when none were. */
  signature_verified: boolean | null;
  augmented: boolean;
  state_scripts: string[];
  payloads: Payload[];
  /** Whether payload data was streamed and every file checked against the manifest. */
  payloads_verified: boolean;
  /**
   * SHA-256 (hex) of the `manifest` member (`tar -xOf A manifest | sha256sum`): the manifest holds
   * the checksum of every other member (version, header, each payload file) and is what manifest.sig
   * signs, so this names the artifact's whole content (an augmented artifact's unsigned
   * manifest-augment aside).
   */
  manifest_sha256: string;
}
