// `npm run bench:check`: `usb-updater check` on a stick folder holding 10 artifacts of 1 GiB each
// (sparse payloads) and 1,000 other files, against `mender-artifact read` over the same 10 files,
// side by side (medians of wall time and peak RSS). Targets: check < 1 s and <= 100 MiB. It asserts
// nothing: it prints a Markdown table.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compare, run, type Command } from './measure.js';

const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
const GIB = 1024 ** 3;

function say(line: string): void {
  process.stderr.write(`bench:check: ${line}\n`);
}

/** A stick folder: `count` artifacts of `bytes` each, made sparse, and `others` unrelated files. */
function buildStick(dir: string, count: number, bytes: number, others: number): string[] {
  const stick = join(dir, 'stick');
  mkdirSync(join(stick, 'photos'), { recursive: true });
  const image = join(dir, 'rootfs.img');
  // A sparse image: mender-artifact reads it as zeros; the artifacts are then made sparse again.
  execFileSync('truncate', ['-s', String(bytes), image]);
  const artifacts: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(stick, `product-1.${i}.0.mender`);
    say(`writing ${path}`);
    execFileSync('mender-artifact', ['write', 'rootfs-image', '-n', `product-1.${i}.0`, '-t', 'bench-device', '-f', image, '-o', path, '--compression', 'none', '--no-progress']);
    execFileSync('fallocate', ['--dig-holes', path]);
    artifacts.push(path);
  }
  for (let i = 0; i < others; i++) writeFileSync(join(stick, i % 2 === 0 ? `note-${i}.txt` : join('photos', `img-${i}.jpg`)), `file ${i}\n`);
  rmSync(image);
  return artifacts;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, count: { type: 'string', default: '10' }, 'size-gib': { type: 'string', default: '1' } } });
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), 'bench-check-'));
  try {
    const artifacts = buildStick(dir, Number(values.count), Number(values['size-gib']) * GIB, 1000);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'signature:\n  required: false\n');
    const timeFile = join(dir, 'time.txt');
    const stick = join(dir, 'stick');
    const ours: Command = [process.execPath, BIN, 'check', '-c', config, '--device-type', 'bench-device', '--provides', 'artifact_name=product-1.0.0', stick];
    // mender-artifact reads one file per run: a shell loop reads all ten in one measured command.
    const theirs: Command = ['sh', '-c', 'for f in "$@"; do mender-artifact read "$f" >/dev/null || exit 1; done', 'sh', ...artifacts];
    // Warm the page cache for both (their reads of 10 GiB of holes are what they are).
    await run(process.execPath, [BIN, 'check', '-c', config, '--device-type', 'bench-device', stick]).catch(() => undefined);
    const result = await compare(ours, theirs, runs, timeFile);
    const theirsS = result.theirs?.seconds ?? Number.NaN;
    const lines = [
      `| case | ours s | mender-artifact read s | ratio | ours peak RSS MiB | theirs peak RSS MiB | target |`,
      `|---|---|---|---|---|---|---|`,
      `| check: ${artifacts.length} x ${values['size-gib']} GiB artifacts + 1,000 other files | ${result.ours.seconds.toFixed(3)} | ${theirsS.toFixed(3)} | ${(theirsS / result.ours.seconds).toFixed(1)}x | ${result.ours.rssMiB.toFixed(0)} | ${result.theirs?.rssMiB.toFixed(0) ?? '-'} | < 1 s, <= 100 MiB: ${result.ours.seconds < 1 && result.ours.rssMiB <= 100 ? 'met' : 'MISSED'} |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n\nmedians of ${runs} runs each, alternating; Node ${process.version}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
