// `node dist/test/bench/install-profile.js --cmd 'SHELL COMMAND'...` (as root): a profiling bench for
// the install path, not a benchmark. It builds the same simulated A/B device and signed gzip artifact
// as bench:install (the artifact is kept in --dir between invocations, so it is written once), then
// runs each shell command inside the device, in order, and prints its wall time, exit code and the
// tail of its output. The commands see $ART (the artifact), $STICK (its folder), $CONFIG (a config for
// it) and $BIN (usb-updater's bin.js), so `strace -c -f node $BIN install -c $CONFIG $STICK` or
// `node --cpu-prof --cpu-prof-dir=/tmp/x $BIN install ...` profile our side where the client runs.
// After a command that installed, the device is put back as bench:install does (rollback, state files).

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAbDevice, mender, needsAbDevice, type AbDevice } from '../support/simulator/ab-device.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { runProcess } from '../support/harness/process.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { BENCH_DEVICE_TYPE, STATE_DIR, payloadFiles, writeInstallConfig } from './install-setup.js';

async function putBack(device: AbDevice): Promise<void> {
  const env = await device.env();
  if (env.upgrade_available !== '1') return;
  const rollback = await mender(device, ['rollback']);
  if (rollback.code !== 0) throw new Error(`mender rollback: ${rollback.output}`);
  await device.run('rm', ['-f', `${STATE_DIR}/journal.json`, `${STATE_DIR}/ledger.jsonl`]);
  await runProcess('sync', [], { timeoutMs: 600_000 });
}

async function main(): Promise<void> {
  const skip = needsAbDevice();
  if (skip) throw new Error(`install-profile: ${skip}`);
  const { values } = parseArgs({ options: { cmd: { type: 'string', multiple: true, default: [] }, dir: { type: 'string', default: '/tmp/usb-updater-install-profile' }, 'size-mib': { type: 'string', default: '512' } } });
  const sizeMiB = Number(values['size-mib']);
  const stick = join(values.dir, 'stick');
  const artifact = join(stick, 'release-2.0.mender');
  const config = join(values.dir, 'config.yaml');
  mkdirSync(stick, { recursive: true });
  writeInstallConfig(config);
  if (!existsSync(artifact)) {
    await writeRootfsArtifact({ output: artifact, name: 'release-2.0', deviceTypes: [BENCH_DEVICE_TYPE], imageMiB: sizeMiB, signKey: `${KEYS}rsa3072.key`, files: payloadFiles(sizeMiB) });
  }
  process.stderr.write(`install-profile: ${artifact}, ${statSync(artifact).size} bytes\n`);
  const device = await createAbDevice({ deviceType: BENCH_DEVICE_TYPE, artifactName: 'release-1.0', partitionMiB: sizeMiB + 32, verifyKeyPem: keyPem('rsa3072.pub') });
  try {
    for (const command of values.cmd) {
      const started = process.hrtime.bigint();
      const result = await device.run('sh', ['-c', command], { env: { ART: artifact, STICK: stick, CONFIG: config, BIN, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      process.stdout.write(`## ${command}\nexit ${result.code}, ${seconds.toFixed(3)} s\n${result.output.slice(-4000)}\n`);
      await putBack(device);
    }
  } finally {
    await device.destroy();
  }
}

await main();
