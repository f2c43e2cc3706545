// The report behind `npm run bench:ab-device`: what the A/B device simulator costs (device creation,
// a reboot, a `mender install` of a rootfs image, a commit), medians over a few runs, as a Markdown
// table. It asserts nothing; needs root and the tools needsAbDevice() lists.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAbDevice, mender, needsAbDevice, type AbDevice } from '../support/simulator/ab-device.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';

const TYPE = 'bench-dev';

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function timed(samples: number[], work: () => Promise<unknown>): Promise<void> {
  const start = process.hrtime.bigint();
  await work();
  samples.push(Number(process.hrtime.bigint() - start) / 1e6);
}

async function expect(device: AbDevice, args: readonly string[], code: number): Promise<void> {
  const result = await mender(device, args);
  if (result.code !== code) throw new Error(`mender ${args.join(' ')}: exit ${result.code}, not ${code}\n${result.output}`);
}

async function benchSize(dir: string, partitionMiB: number, runs: number): Promise<string[]> {
  const artifact = join(dir, `release-${partitionMiB}.mender`);
  await writeRootfsArtifact({ output: artifact, name: 'release-2', deviceTypes: [TYPE], imageMiB: partitionMiB });
  const create: number[] = [];
  const reboot: number[] = [];
  const install: number[] = [];
  const commit: number[] = [];
  for (let i = 0; i < runs; i++) {
    let device: AbDevice | undefined;
    try {
      await timed(create, async () => (device = await createAbDevice({ deviceType: TYPE, artifactName: 'release-1', partitionMiB })));
      const on = device as AbDevice;
      await timed(reboot, () => on.reboot());
      await timed(install, () => expect(on, ['install', '--reboot-exit-code', artifact], 4));
      await on.reboot();
      await timed(commit, () => expect(on, ['commit'], 0));
    } finally {
      await device?.destroy();
    }
  }
  const row = (what: string, samples: readonly number[]): string => `| ${partitionMiB} MiB | ${what} | ${median(samples).toFixed(0)} |`;
  return [row('create + first boot', create), row('reboot', reboot), row('mender install (gzip, whole partition)', install), row('mender commit', commit)];
}

async function main(): Promise<void> {
  const skip = needsAbDevice();
  if (skip) throw new Error(`bench:ab-device: ${skip}`);
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, sizes: { type: 'string', default: '16,64' } } });
  const runs = Number(values.runs);
  const dir = await mkdtemp(join(tmpdir(), 'usb-updater-bench-ab-'));
  try {
    const lines = ['| partition | step | median ms |', '|---|---|---|'];
    for (const size of values.sizes.split(',').map(Number)) lines.push(...(await benchSize(dir, size, runs)));
    process.stdout.write(`${lines.join('\n')}\n\n${runs} runs each, sequential.\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
