// The outer layer of the format (the parser's grammar): which top-level members exist and the one
// order they may come in. Mender's member order is fixed; anything out of place is rejected rather
// than tolerated, so that a reader that stops early (header-only mode) has seen everything that
// matters for a decision.

import { UpdaterError } from '../errors/index.js';
import { shorten } from '../log/index.js';
import { splitCompression } from './decompress.js';
import type { Compression } from './model.js';

export type MemberKind = 'version' | 'manifest' | 'manifest.sig' | 'manifest-augment' | 'header' | 'header-augment' | 'data';

export interface Member {
  kind: MemberKind;
  name: string;
  compression: Compression;
  /** Payload index for `data/NNNN.tar.*`. */
  index: number;
}

/** Position of each kind in the artifact. Members must come in increasing rank; only data repeats. */
const RANK: Record<MemberKind, number> = {
  version: 0,
  manifest: 1,
  'manifest.sig': 2,
  'manifest-augment': 3,
  header: 4,
  'header-augment': 5,
  data: 6,
};

const PLAIN: ReadonlyArray<MemberKind> = ['version', 'manifest', 'manifest.sig', 'manifest-augment'];

/** Tokenizes a top-level tar entry name. */
export function classifyMember(name: string, format: 2 | 3 | null): Member {
  const plain = PLAIN.find((kind) => kind === name);
  if (plain) return checkFormat({ kind: plain, name, compression: 'none', index: 0 }, format);
  for (const [kind, base] of [['header', 'header.tar'], ['header-augment', 'header-augment.tar']] as const) {
    const compression = splitCompression(name, base);
    if (compression) return checkFormat({ kind, name, compression, index: 0 }, format);
  }
  const data = /^data\/(\d{4})(\.tar.*)$/.exec(name);
  if (data) {
    const index = Number(data[1]);
    const compression = splitCompression(name, `data/${data[1]}.tar`);
    if (compression) return { kind: 'data', name, compression, index };
  }
  const hint = name.startsWith('header') || name.startsWith('data/')
    ? ' (unknown compression suffix? gzip .gz, lzma .xz, zstd .zst or none are read)'
    : '';
  throw new UpdaterError('ARTIFACT_UNKNOWN_MEMBER', `artifact: unknown member ${JSON.stringify(shorten(name))}${hint}`);
}

function checkFormat(member: Member, format: 2 | 3 | null): Member {
  if (format === 2 && (member.kind === 'manifest-augment' || member.kind === 'header-augment')) {
    throw new UpdaterError('ARTIFACT_UNKNOWN_MEMBER', `artifact: ${member.name} in a format 2 artifact (only format 3 can be augmented)`);
  }
  return member;
}

/** Tracks the member order of one artifact and rejects duplicates and misplaced members. */
export class MemberOrder {
  private lastRank = -1;
  private nextDataIndex = 0;

  accept(member: Member): void {
    const rank = RANK[member.kind];
    if (this.lastRank === -1 && member.kind !== 'version') {
      throw new UpdaterError('ARTIFACT_BAD_ORDER', `artifact: the first member must be "version", found ${JSON.stringify(member.name)}`);
    }
    if (member.kind === 'data') {
      if (member.index !== this.nextDataIndex) {
        throw new UpdaterError(
          member.index < this.nextDataIndex ? 'ARTIFACT_DUPLICATE_MEMBER' : 'ARTIFACT_BAD_ORDER',
          `artifact: ${member.name} where data/${String(this.nextDataIndex).padStart(4, '0')}.tar.* was expected`,
        );
      }
      this.nextDataIndex += 1;
    } else if (rank === this.lastRank) {
      throw new UpdaterError('ARTIFACT_DUPLICATE_MEMBER', `artifact: ${member.name} appears twice`);
    } else if (rank < this.lastRank) {
      throw new UpdaterError('ARTIFACT_BAD_ORDER', `artifact: ${member.name} is out of order (version, manifest, manifest.sig, manifest-augment, header, header-augment, data)`);
    }
    this.lastRank = rank;
  }

  get dataMembersSeen(): number {
    return this.nextDataIndex;
  }
}
