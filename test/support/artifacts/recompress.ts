// Test helper: re-encodes a format-3 artifact written by mender-artifact with another compression
// (zstd, which mender-artifact 3.9 cannot write, gzip, xz or none), rewrites the manifests to match
// and re-signs or drops `manifest.sig`. Member order and every other byte of meaning are kept.

import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import tar, { type Header } from 'tar-stream';

export type TargetCompression = 'zstd' | 'gzip' | 'none' | 'lzma';

export interface RecompressOptions {
  to: TargetCompression;
  /** Private key PEM (RSA PKCS#1 or EC P-256 SEC1); without it the result is unsigned. */
  signingKeyPem?: string;
}

interface Member {
  header: Header;
  body: Buffer;
}

const SUFFIX: Record<TargetCompression, string> = { zstd: '.zst', gzip: '.gz', none: '', lzma: '.xz' };

/** The members whose stored bytes are compressed: base name, then an optional method suffix. */
const COMPRESSED_MEMBER = /^(header\.tar|header-augment\.tar|data\/\d{4}\.tar)(\.gz|\.xz|\.zst)?$/;

/** Mender's fixed member order; data members keep their relative order after these. */
const ORDER = ['version', 'manifest', 'manifest.sig', 'manifest-augment', 'header.tar', 'header-augment.tar', 'data/'];

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Pipes `input` through an external filter (xz-utils), rejecting when it fails. */
function filterThrough(command: string, args: readonly string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(output));
      else reject(new Error(`recompressArtifact: ${command} ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`));
    });
    child.stdin.on('error', reject);
    child.stdin.end(input);
  });
}

/**
 * The whole member is held in memory, compressed and expanded: simplest, and enough for test
 * artifacts and the benchmark's few hundred MiB. xz goes through xz-utils, the reference tool.
 */
async function decode(stored: Buffer, suffix: string): Promise<Buffer> {
  switch (suffix) {
    case '.gz':
      return promisify(gunzip)(stored);
    case '.xz':
      return filterThrough('xz', ['--decompress', '--stdout'], stored);
    case '.zst':
      return (await import('zstd-napi')).decompress(stored);
    default:
      return stored;
  }
}

async function encode(raw: Buffer, to: TargetCompression): Promise<Buffer> {
  switch (to) {
    case 'gzip':
      return promisify(gzip)(raw);
    case 'lzma':
      return filterThrough('xz', ['--compress', '--stdout'], raw);
    case 'zstd':
      return (await import('zstd-napi')).compress(raw);
    case 'none':
      return raw;
  }
}

async function readMembers(input: Buffer): Promise<Member[]> {
  const extract = tar.extract();
  extract.end(input);
  const members: Member[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    members.push({ header: entry.header, body: Buffer.concat(chunks) });
  }
  return members;
}

async function writeMembers(members: readonly Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  // Drain while adding entries: pack holds each entry back until the previous one is read.
  const draining = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const { header, body } of members) {
    const { name, mode, mtime, uid, gid, uname, gname } = header;
    pack.entry({ name, size: body.length, mode, mtime, uid, gid, uname, gname, type: 'file' }, body);
  }
  pack.finalize();
  await draining;
  return Buffer.concat(chunks);
}

/**
 * Rewrites a manifest's lines for renamed members (new name, SHA-256 of the new stored bytes), keeps
 * every other line, sorts by path as mender-artifact does and keeps the original's final newline.
 */
function rewriteManifest(original: Buffer, renamed: ReadonlyMap<string, { name: string; body: Buffer }>): Buffer {
  const text = original.toString('utf8');
  const endsWithNewline = text.endsWith('\n');
  const lines = text.split('\n').filter((line) => line !== '').map((line) => {
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!match) throw new Error(`recompressArtifact: unexpected manifest line ${JSON.stringify(line)}`);
    const [, digest = '', path = ''] = match;
    const member = renamed.get(path);
    return member ? { digest: sha256(member.body), path: member.name } : { digest, path };
  });
  lines.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const joined = lines.map(({ digest, path }) => `${digest}  ${path}`).join('\n');
  return Buffer.from(endsWithNewline ? `${joined}\n` : joined, 'utf8');
}

/** manifest.sig: padded base64 without newline; ECDSA as raw r||s, as mender-artifact writes it. */
function signManifest(manifest: Buffer, pem: string): Buffer {
  const key = createPrivateKey(pem);
  const signature = key.asymmetricKeyType === 'ec'
    ? sign('sha256', manifest, { key, dsaEncoding: 'ieee-p1363' })
    : sign('sha256', manifest, key);
  return Buffer.from(signature.toString('base64'), 'latin1');
}

function orderOf(name: string): number {
  const base = name.replace(/\.(gz|xz|zst)$/, '');
  const index = ORDER.findIndex((prefix) => (prefix.endsWith('/') ? base.startsWith(prefix) : base === prefix));
  if (index < 0) throw new Error(`recompressArtifact: unexpected member ${JSON.stringify(name)}`);
  return index;
}

function findMember(members: readonly Member[], name: string): Member | undefined {
  return members.find((member) => member.header.name === name);
}

/** Returns an equivalent artifact whose header and data members use `options.to`. */
export async function recompressArtifact(input: Buffer, options: RecompressOptions): Promise<Buffer> {
  const members = await readMembers(input);
  const renamed = new Map<string, { name: string; body: Buffer }>();
  const output: Member[] = [];
  for (const member of members) {
    if (member.header.name === 'manifest.sig') continue; // re-signed below, or dropped
    const match = COMPRESSED_MEMBER.exec(member.header.name);
    if (!match) {
      output.push(member);
      continue;
    }
    const [, base = '', suffix = ''] = match;
    const name = base + SUFFIX[options.to];
    const body = await encode(await decode(member.body, suffix), options.to);
    renamed.set(member.header.name, { name, body });
    output.push({ header: { ...member.header, name }, body });
  }
  for (const manifestName of ['manifest', 'manifest-augment']) {
    const manifest = findMember(output, manifestName);
    if (manifest) manifest.body = rewriteManifest(manifest.body, renamed);
  }
  const manifest = findMember(output, 'manifest');
  if (options.signingKeyPem !== undefined) {
    if (!manifest) throw new Error('recompressArtifact: no manifest to sign');
    output.push({ header: { ...manifest.header, name: 'manifest.sig' }, body: signManifest(manifest.body, options.signingKeyPem) });
  }
  // A stable sort keeps data members in their original order.
  output.sort((a, b) => orderOf(a.header.name) - orderOf(b.header.name));
  return writeMembers(output);
}
