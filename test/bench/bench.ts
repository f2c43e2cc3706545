// The report behind `npm run bench`: builds artifacts with the real mender-artifact, times our
// `inspect` against `mender-artifact read`/`validate` side by side (medians of wall time and peak
// RSS) and prints a Markdown table. It asserts nothing: only a failing command makes it exit non-zero.

import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { recompressArtifact } from '../support/artifacts/recompress.js';
import { CommandFailed, compare, GNU_TIME, imageBlock, run, type Command, type Sample } from './measure.js';

// The bundle (`npm run package`) when it is built, as a device runs it (issue 16); else the tsc build.
const BUNDLE = fileURLToPath(new URL('../../package/usb-updater.mjs', import.meta.url));
const BIN = existsSync(BUNDLE) ? BUNDLE : fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
const MIB = 1024 * 1024;
const RSS_TARGET_MIB = 100;

interface BenchOptions {
  sizes: number[];
  runs: number;
  quick: boolean;
  jsonOut: string | undefined;
}

type Method = 'gzip' | 'lzma' | 'zstd';

interface Artifact {
  method: Method;
  sizeMiB: number;
  path: string;
  bytes: number;
}

interface Row {
  case: string;
  size: string;
  oursS: number;
  theirsS: number | null;
  ratio: number | null;
  oursRssMiB: number;
  theirsRssMiB: number | null;
  target: string;
  met: boolean;
  missed: string[];
}

function say(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sizes: { type: 'string', default: '64,512' },
      runs: { type: 'string', default: '5' },
      quick: { type: 'boolean', default: false },
      'json-out': { type: 'string' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const runs = Number(values.runs);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1) || !Number.isInteger(runs) || runs < 1) {
    throw new CommandFailed('usage: bench [--sizes 64,512] [--runs 5] [--quick] [--json-out FILE]');
  }
  return { sizes: [...new Set(sizes)].sort((a, b) => a - b), runs, quick: values.quick, jsonOut: values['json-out'] };
}

async function writeImage(path: string, sizeMiB: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (let index = 0; index < sizeMiB; index++) await file.write(imageBlock(index));
  } finally {
    await file.close();
  }
}

async function writeArtifact(dir: string, image: string, sizeMiB: number, method: Method): Promise<Artifact> {
  const path = join(dir, `bench-${sizeMiB}-${method}.mender`);
  if (method === 'zstd') {
    const gzip = await readFile(join(dir, `bench-${sizeMiB}-gzip.mender`));
    await writeFile(path, await recompressArtifact(gzip, { to: 'zstd' }));
  } else {
    await run('mender-artifact', ['write', 'rootfs-image', '-n', 'bench-1', '-t', 'bench-dev', '-f', image, '-o', path, '--compression', method, '--no-progress']);
  }
  return { method, sizeMiB, path, bytes: (await stat(path)).size };
}

/** gzip and zstd at every size; lzma (slow to write) only at the largest, and not with --quick. */
async function buildArtifacts(dir: string, options: BenchOptions): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  const largest = options.sizes[options.sizes.length - 1];
  for (const sizeMiB of options.sizes) {
    const image = join(dir, `rootfs-${sizeMiB}.img`);
    say(`writing a ${sizeMiB} MiB image`);
    await writeImage(image, sizeMiB);
    const methods: Method[] = sizeMiB === largest && !options.quick ? ['gzip', 'lzma', 'zstd'] : ['gzip', 'zstd'];
    for (const method of methods) {
      const started = Date.now();
      artifacts.push(await writeArtifact(dir, image, sizeMiB, method));
      say(`  ${method} artifact: ${((artifacts.at(-1)?.bytes ?? 0) / MIB).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    await rm(image);
  }
  return artifacts;
}

const ours = (artifact: Artifact, ...flags: string[]): Command => [process.execPath, BIN, 'inspect', ...flags, artifact.path];

/**
 * What mender-artifact 3.9 cannot read (zstd) is compared with native tools: `zstd -dc payload`
 * into `openssl dgst -sha256`. Not coreutils' sha256sum: it does not use the CPU's SHA extensions
 * and is several times slower than OpenSSL (which node:crypto uses), so it would flatter us.
 */
async function zstdBaseline(artifact: Artifact, dir: string): Promise<Command> {
  const into = join(dir, `payload-${artifact.sizeMiB}`);
  await mkdir(into, { recursive: true });
  await run('tar', ['-xf', artifact.path, '-C', into, 'data/0000.tar.zst']);
  return ['bash', '-c', 'set -o pipefail; zstd -dc -- "$1" | openssl dgst -sha256 >/dev/null', 'bash', join(into, 'data/0000.tar.zst')];
}

function judge(ratioOk: boolean | null, rssMiB: number): { met: boolean; missed: string[] } {
  const missed = [...(ratioOk === false ? ['ratio'] : []), ...(rssMiB > RSS_TARGET_MIB ? ['RSS'] : [])];
  return { met: missed.length === 0, missed };
}

/** A table row from one side-by-side comparison. */
function toRow(name: string, artifact: Artifact, result: { ours: Sample; theirs: Sample | null }, ratio: number | null, target: string, ratioOk: boolean | null): Row {
  return {
    case: name,
    size: `${artifact.sizeMiB} MiB`,
    oursS: result.ours.seconds,
    theirsS: result.theirs?.seconds ?? null,
    ratio,
    oursRssMiB: result.ours.rssMiB,
    theirsRssMiB: result.theirs?.rssMiB ?? null,
    target,
    ...judge(ratioOk, result.ours.rssMiB),
  };
}

async function headerRow(artifact: Artifact, runs: number, timeFile: string): Promise<Row> {
  const theirs: Command | null = artifact.method === 'zstd' ? null : ['mender-artifact', 'read', artifact.path];
  const result = await compare(ours(artifact), theirs, runs, timeFile);
  const ratio = result.theirs ? result.theirs.seconds / result.ours.seconds : null;
  return ratio === null
    ? toRow(`header-only ${artifact.method}: inspect (mender-artifact 3.9 cannot read it)`, artifact, result, null, `RSS ≤ ${RSS_TARGET_MIB}`, null)
    : toRow(`header-only ${artifact.method}: inspect vs mender-artifact read`, artifact, result, ratio, `theirs/ours ≥ 20x, RSS ≤ ${RSS_TARGET_MIB}`, ratio >= 20);
}

async function verifyRow(artifact: Artifact, runs: number, timeFile: string, dir: string): Promise<Row> {
  const zstd = artifact.method === 'zstd';
  const theirs: Command = zstd ? await zstdBaseline(artifact, dir) : ['mender-artifact', 'validate', artifact.path];
  const result = await compare(ours(artifact, '--verify'), theirs, runs, timeFile);
  const ratio = result.theirs ? result.ours.seconds / result.theirs.seconds : null;
  // The zstd baseline is a yardstick, not a competitor: only the RSS target applies.
  return zstd
    ? toRow('verify zstd: inspect --verify vs zstd -dc payload, openssl dgst -sha256', artifact, result, ratio, `ratio for information, RSS ≤ ${RSS_TARGET_MIB}`, null)
    : toRow(`verify ${artifact.method}: inspect --verify vs mender-artifact validate`, artifact, result, ratio, `ours/theirs ≤ 1.0, RSS ≤ ${RSS_TARGET_MIB}`, ratio === null ? null : ratio <= 1.0);
}

/**
 * Header-only time should not grow with the artifact. The smallest and largest gzip artifacts are
 * timed side by side here (not taken from rows measured minutes apart, which drift on a shared box).
 */
async function flatnessRow(artifacts: readonly Artifact[], runs: number, timeFile: string): Promise<Row | null> {
  const gzip = artifacts.filter((artifact) => artifact.method === 'gzip');
  const small = gzip[0];
  const large = gzip[gzip.length - 1];
  if (!small || !large || small === large) return null;
  say(`measuring header-only flatness, ${small.sizeMiB} vs ${large.sizeMiB} MiB (${runs} runs)`);
  const result = await compare(ours(large), ours(small), runs, timeFile);
  const smallSample = result.theirs ?? result.ours;
  const ratio = result.ours.seconds / smallSample.seconds;
  return {
    case: `header-only gzip flatness: ours at ${large.sizeMiB} MiB vs ours at ${small.sizeMiB} MiB (in "theirs")`,
    size: `${small.sizeMiB}→${large.sizeMiB} MiB`,
    oursS: result.ours.seconds,
    theirsS: smallSample.seconds,
    ratio,
    oursRssMiB: result.ours.rssMiB,
    theirsRssMiB: smallSample.rssMiB,
    target: `large/small ≤ 1.20, RSS ≤ ${RSS_TARGET_MIB}`,
    ...judge(ratio <= 1.2, result.ours.rssMiB),
  };
}

async function measureAll(artifacts: readonly Artifact[], options: BenchOptions, dir: string): Promise<Row[]> {
  const timeFile = join(dir, 'time.out');
  const rows: Row[] = [];
  for (const mode of ['header', 'verify'] as const) {
    for (const artifact of artifacts) {
      say(`measuring ${mode} ${artifact.method} ${artifact.sizeMiB} MiB (${options.runs} runs)`);
      rows.push(mode === 'header' ? await headerRow(artifact, options.runs, timeFile) : await verifyRow(artifact, options.runs, timeFile, dir));
    }
  }
  const flat = await flatnessRow(artifacts, options.runs, timeFile);
  return flat ? [...rows, flat] : rows;
}

const fixed = (value: number | null, digits: number, suffix = ''): string => (value === null ? '—' : `${value.toFixed(digits)}${suffix}`);

function formatTable(rows: readonly Row[]): string {
  const head = ['case', 'size', 'ours (s)', 'theirs (s)', 'ratio', 'our peak RSS (MiB)', 'their peak RSS (MiB)', 'target', 'met?'];
  const lines = rows.map((row) => [
    row.case, row.size, fixed(row.oursS, 3), fixed(row.theirsS, 3), fixed(row.ratio, 2, 'x'),
    fixed(row.oursRssMiB, 1), fixed(row.theirsRssMiB, 1), row.target, row.met ? 'yes' : `**MISSED** (${row.missed.join(', ')})`,
  ]);
  return [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n') + '\n';
}

function formatArtifacts(artifacts: readonly Artifact[]): string {
  return artifacts.map((a) => `- ${a.sizeMiB} MiB image, ${a.method}: ${(a.bytes / MIB).toFixed(1)} MiB artifact`).join('\n') + '\n';
}

function checkTools(): void {
  if (!existsSync(GNU_TIME)) {
    throw new CommandFailed(`${GNU_TIME} (GNU time) is missing; it measures peak RSS. Install it: apt-get install time`);
  }
}

async function bench(options: BenchOptions): Promise<void> {
  checkTools();
  const dir = await mkdtemp(join(tmpdir(), 'usb-updater-bench-'));
  // The temp dir holds hundreds of MiB: an interrupted run must not leave it behind.
  const onInterrupt = (): void => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const artifacts = await buildArtifacts(dir, options);
    const rows = await measureAll(artifacts, options, dir);
    const missed = rows.filter((row) => !row.met).length;
    process.stdout.write(`\n## usb-updater bench (node ${process.version}, medians of ${options.runs} warm runs; ${BIN}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n\n`);
    process.stdout.write(formatArtifacts(artifacts) + '\n' + formatTable(rows) + '\n');
    process.stdout.write(missed === 0 ? 'All targets met.\n' : `MISSED: ${missed} of ${rows.length} rows miss a target (see met?).\n`);
    if (options.jsonOut !== undefined) {
      const report = { node: process.version, runs: options.runs, sizesMiB: options.sizes, artifacts: artifacts.map(({ method, sizeMiB, bytes }) => ({ method, sizeMiB, bytes })), rows };
      await writeFile(options.jsonOut, JSON.stringify(report, null, 2) + '\n');
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  await bench(parseOptions(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
