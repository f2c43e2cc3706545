// Side-by-side measurement for the benchmarks: runs commands under GNU time, alternating ours and
// the peer tool's so that drift on a shared machine hits both alike, and reports medians.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export const GNU_TIME = '/usr/bin/time';

export class CommandFailed extends Error {}

export interface Sample {
  seconds: number;
  rssMiB: number;
}

/**
 * The environment both sides run in. NODE_EXTRA_CA_CERTS is dropped: where it is set (this
 * workplace sets it), every Node process parses the whole CA bundle at start-up, about 70 ms that a
 * device never pays and that has nothing to do with reading artifacts.
 */
const BENCH_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_EXTRA_CA_CERTS'));

/** Runs a command to completion; rejects with its stderr when it fails. */
export function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: BENCH_ENV });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new CommandFailed(`${[command, ...args].join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr.slice(-2000)}`));
    });
  });
}

/** Wall time from our clock (finer than time's 10 ms); peak RSS from GNU time's `%M` (KiB). */
export async function measure(command: string, args: readonly string[], timeFile: string): Promise<Sample> {
  const start = process.hrtime.bigint();
  await run(GNU_TIME, ['-f', '%M', '-o', timeFile, command, ...args]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const lines = (await readFile(timeFile, 'utf8')).trim().split('\n');
  return { seconds, rssMiB: Number(lines[lines.length - 1]) / 1024 };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function medianOf(samples: readonly Sample[]): Sample {
  return { seconds: median(samples.map((s) => s.seconds)), rssMiB: median(samples.map((s) => s.rssMiB)) };
}

export type Command = readonly [string, ...string[]];

/**
 * One untimed warm-up each, then `runs` rounds alternating ours and theirs, so that drift on a
 * shared machine hits both sides alike.
 */
export async function compare(ours: Command, theirs: Command | null, runs: number, timeFile: string): Promise<{ ours: Sample; theirs: Sample | null }> {
  const sides = theirs ? [ours, theirs] : [ours];
  for (const [command, ...args] of sides) await run(command, args);
  const samples: Sample[][] = sides.map(() => []);
  for (let round = 0; round < runs; round++) {
    for (const [index, [command, ...args]] of sides.entries()) samples[index]?.push(await measure(command, args, timeFile));
  }
  return { ours: medianOf(samples[0] ?? []), theirs: theirs ? medianOf(samples[1] ?? []) : null };
}


const MIB = 1024 * 1024;

/**
 * Block `index` (1 MiB) of a bench image: random (incompressible), then repetitive text, random,
 * zeros, and again, so that a compressor has real work and the result is about half the size.
 */
export function imageBlock(index: number): Buffer {
  if (index % 2 === 0) return randomBytes(MIB);
  if (index % 4 === 3) return Buffer.alloc(MIB);
  const line = `usb-updater bench image, block ${index}: the quick brown fox jumps over the lazy dog\n`;
  return Buffer.from(line.repeat(Math.ceil(MIB / line.length)).slice(0, MIB), 'latin1');
}
