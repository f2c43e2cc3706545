// Test-only artifact forger: builds a Mender artifact from parts, with correct manifest checksums
// unless told otherwise, so the bad-input corpus can plant one specific fault (a traversal name in
// the header, a symlink in the data, a decompression bomb…) behind otherwise valid framing.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildTar, type EntrySpec } from './tar-tools.js';

export interface ForgeSpec {
  headerInfo?: unknown;
  typeInfo?: unknown;
  /** Replaces the whole header tar's entries (header-info, type-info, … are then not added). */
  headerEntries?: EntrySpec[];
  /** Replaces the stored header member bytes entirely (e.g. a bomb); its checksum is still listed. */
  headerStored?: Buffer;
  /** The header member's name, in the artifact and the manifest (default by `compression`). */
  headerName?: string;
  dataFiles?: Array<{ name: string; data: Buffer }>;
  /** Replaces the data tar's entries (e.g. a symlink). Manifest lines still come from dataFiles. */
  dataEntries?: EntrySpec[];
  compression?: 'gzip' | 'none';
  /** Extra raw manifest lines, appended. */
  manifestExtra?: string[];
  /** Last word on the outer members, in order. */
  members?: (members: EntrySpec[]) => EntrySpec[];
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export const DEFAULT_PAYLOAD = Buffer.from('forged rootfs '.repeat(300));

export async function forgeArtifact(spec: ForgeSpec = {}): Promise<Buffer> {
  const compression = spec.compression ?? 'gzip';
  const compress = (b: Buffer): Buffer => (compression === 'gzip' ? gzipSync(b) : b);
  const suffix = compression === 'gzip' ? '.gz' : '';
  const headerInfo = spec.headerInfo ?? {
    payloads: [{ type: 'rootfs-image' }],
    artifact_provides: { artifact_name: 'forged-1' },
    artifact_depends: { device_type: ['dev-a'] },
  };
  const typeInfo = spec.typeInfo ?? { type: '', artifact_provides: { 'rootfs-image.version': 'forged-1' } };
  const headerEntries = spec.headerEntries ?? [
    { name: 'header-info', data: Buffer.from(JSON.stringify(headerInfo)) },
    { name: 'headers/0000/type-info', data: Buffer.from(JSON.stringify(typeInfo)) },
    { name: 'headers/0000/meta-data', data: Buffer.alloc(0) },
  ];
  const header = spec.headerStored ?? compress(await buildTar(headerEntries));
  const files = spec.dataFiles ?? [{ name: 'rootfs.img', data: DEFAULT_PAYLOAD }];
  const data = compress(await buildTar(spec.dataEntries ?? files.map((f) => ({ name: f.name, data: f.data }))));
  const version = Buffer.from('{"format":"mender","version":3}');
  const headerName = spec.headerName ?? `header.tar${suffix}`;
  const lines = [
    ...files.map((f) => `${sha256(f.data)}  data/0000/${f.name}`),
    `${sha256(header)}  ${headerName}`,
    `${sha256(version)}  version`,
    ...(spec.manifestExtra ?? []),
  ].sort((a, b) => a.slice(66).localeCompare(b.slice(66)));
  const manifest = Buffer.from(lines.join('\n') + '\n');
  let members: EntrySpec[] = [
    { name: 'version', data: version },
    { name: 'manifest', data: manifest },
    { name: headerName, data: header },
    { name: `data/0000.tar${suffix}`, data },
  ];
  if (spec.members) members = spec.members(members);
  return buildTar(members);
}
