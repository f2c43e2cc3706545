// Rendering of `inspect` results: the JSON contract (Mender's own key names) and the human view.
// Pure: takes the model, returns text.

import type { ArtifactInfo, DependsMap, ProvidesMap } from '../artifact/index.js';
import { printable } from '../log/index.js';

/** The `inspect --json` object. Keys are a contract: add, never rename. */
export function inspectJson(info: ArtifactInfo): Record<string, unknown> {
  return {
    format_version: info.format_version,
    name: info.name,
    group: info.group,
    device_types: info.device_types,
    artifact_provides: info.artifact_provides,
    artifact_depends: info.artifact_depends,
    compression: info.compression,
    signed: info.signed,
    signature_verified: info.signature_verified,
    augmented: info.augmented,
    state_scripts: info.state_scripts,
    payloads_verified: info.payloads_verified,
    manifest_sha256: info.manifest_sha256,
    payloads: info.payloads.map((p) => ({
      type: p.type,
      artifact_provides: p.artifact_provides,
      artifact_depends: p.artifact_depends,
      clears_artifact_provides: p.clears_artifact_provides,
      meta_data: p.meta_data,
      files: p.files.map((f) => ({ name: f.name, size: f.size, checksum: f.checksum, augmented: f.augmented })),
      augmented: p.augmented,
    })),
  };
}

function pairs(map: ProvidesMap | DependsMap): string {
  const entries = Object.entries(map);
  if (entries.length === 0) return '-';
  return entries.map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`).join('; ');
}

function signatureLine(info: ArtifactInfo): string {
  if (!info.signed) return info.signature_verified === false ? 'unsigned (a key was given: REJECTED)' : 'unsigned';
  if (info.signature_verified === null) return 'signed, not verified (no --key given)';
  return info.signature_verified ? 'signed, verified' : 'signed, does NOT verify with the given key(s)';
}

export function inspectText(info: ArtifactInfo): string {
  const lines = [
    `Mender artifact ${info.name}`,
    `  Format:          mender ${info.format_version}, ${info.compression}`,
    `  Device types:    ${info.device_types.join(', ')}`,
    `  Group:           ${info.group ?? '-'}`,
    `  Provides:        ${pairs(info.artifact_provides)}`,
    `  Depends:         ${pairs(info.artifact_depends)}`,
    `  Signature:       ${signatureLine(info)}`,
    `  Manifest:        sha256:${info.manifest_sha256}`,
    `  State scripts:   ${info.state_scripts.length > 0 ? info.state_scripts.join(', ') : '-'}`,
  ];
  if (info.augmented) lines.push('  Augmented:       yes (augmented fields below are NOT covered by the signature)');
  info.payloads.forEach((p, i) => {
    const mark = (keys: string[]): string => (keys.length > 0 ? ` (unsigned: ${keys.join(', ')})` : '');
    lines.push(
      `  Payload ${i}:       ${p.type ?? '(no type: a bootstrap artifact, installs nothing)'}${p.augmented.type ? ' (type set by the unsigned augment)' : ''}`,
      `    Provides:      ${pairs(p.artifact_provides)}${mark(p.augmented.artifact_provides)}`,
      `    Depends:       ${pairs(p.artifact_depends)}${mark(p.augmented.artifact_depends)}`,
      `    Clears:        ${p.clears_artifact_provides.length > 0 ? p.clears_artifact_provides.join(', ') : '-'}`,
      `    Meta-data:     ${p.meta_data ? JSON.stringify(p.meta_data) : '-'}${p.augmented.meta_data ? ' (merged with unsigned augment)' : ''}`,
      `    Files:`,
    );
    for (const f of p.files) {
      const size = f.size === null ? '' : `  ${f.size} bytes`;
      lines.push(`      ${f.name}${size}  sha256:${f.checksum}${f.augmented ? '  (augmented, unsigned)' : ''}`);
    }
  });
  lines.push(info.payloads_verified
    ? '  Payload data:    every file streamed and matched its checksum'
    : '  Payload data:    not read (header only; use --verify to check every file)');
  return lines.map(printable).join('\n') + '\n';
}
