// `usb-updater inspect FILE`: reads one artifact (header only, or every byte with --verify) and
// prints what it holds, as text or as one JSON object.

import { LIMITS, parsePublicKey, readArtifact, type ArtifactInfo, type ReadOptions, type VerificationKey } from '../artifact/index.js';
import { isUpdaterError, UpdaterError } from '../errors/index.js';
import { openArtifact, readSmallTextFile } from '../system/os/files.js';
import { inspectJson, inspectText } from './format-inspect.js';
import type { Io } from './io.js';
import { clearProgress, progressLine } from './progress.js';

export interface InspectOptions {
  verify: boolean;
  key: string[];
  json: boolean;
}

/**
 * Header-only reads need a few KiB. Full reads: 512 KiB reads measured 1.3x faster than 256 KiB
 * on a 512 MiB artifact, at +3 MiB peak RSS; 1 MiB gained little more and crossed 100 MiB.
 */
const HEADER_CHUNK = 64 * 1024;
const FULL_CHUNK = 512 * 1024;
const KEY_FILE_MAX = 64 * 1024;

export async function loadKeys(paths: readonly string[]): Promise<VerificationKey[]> {
  return Promise.all(paths.map(async (path) => {
    try {
      return parsePublicKey(await readSmallTextFile(path, KEY_FILE_MAX), path);
    } catch (err) {
      // A key that cannot be read is a usage problem of this command, not an artifact problem.
      if (err instanceof UpdaterError && err.code === 'IO_ERROR') throw new UpdaterError('KEY_INVALID', `key ${err.message}`, { cause: err });
      throw err;
    }
  }));
}

/** Standard input, refused past LIMITS.stdinBytes: `inspect -` ends whatever is piped into it. */
async function* boundedStdin(stdin: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let read = 0;
  for await (const chunk of stdin) {
    read += chunk.length;
    if (read > LIMITS.stdinBytes) throw new UpdaterError('ARTIFACT_TOO_LARGE', `standard input: more than ${LIMITS.stdinBytes} bytes, the most inspect - reads`);
    yield chunk;
  }
}

/**
 * The one artifact's read: whatever it throws is its failure. An error without a code (a bug)
 * becomes INTERNAL, so it is reported like any other (one JSON object with --json), not a crash.
 */
async function readOne(source: AsyncIterable<Uint8Array>, options: ReadOptions): Promise<ArtifactInfo> {
  try {
    return await readArtifact(source, options);
  } catch (err) {
    if (isUpdaterError(err)) throw err;
    throw new UpdaterError('INTERNAL', `reading the artifact: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export async function inspect(file: string, options: InspectOptions, io: Io): Promise<ArtifactInfo> {
  const keys = await loadKeys(options.key);
  const mode = options.verify ? 'full' : 'header';
  const chunkBytes = options.verify ? FULL_CHUNK : HEADER_CHUNK;
  let info: ArtifactInfo;
  if (file === '-') {
    info = await readOne(boundedStdin(io.stdin), { mode, keys });
  } else {
    const artifact = await openArtifact(file);
    const progress = options.verify && !options.json ? progressLine(io, 'verifying') : undefined;
    const onProgress = progress ? (bytes: number): void => progress(bytes, artifact.size) : undefined;
    try {
      info = await readOne(artifact.chunks(chunkBytes), { mode, keys, ...(onProgress ? { onProgress } : {}) });
    } finally {
      if (onProgress) clearProgress(io);
      await artifact.close();
    }
  }
  io.stdout.write(options.json ? JSON.stringify(inspectJson(info), null, 2) + '\n' : inspectText(info));
  return info;
}
