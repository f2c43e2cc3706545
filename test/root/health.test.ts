// The boot-time health check in the A/B simulator, the real Mender client doing every install,
// commit and rollback: good updates are committed, failing ones rolled back into the old image,
// a bootloader fallback is never committed, an update module is finished without a reboot, and a
// power cut at every state of the deployment ends, on the next boot, in the same outcome. Faults
// strike at named points through gates (test/support/simulator/client-gate.ts), never after a delay.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PENDING_STATES, type PendingState } from '../../src/state/index.js';
import { REBOOT_COMMAND, mender, needsAbDevice, withAbDevice, type AbDevice, type AbDeviceOptions } from '../support/simulator/ab-device.js';
import { Gate } from '../support/simulator/client-gate.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { RELEASE_FILE, writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';
import { writeSingleFileArtifact } from '../support/artifacts/single-file-artifact.js';
import { makeFolders } from '../support/harness/temp.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';
/** bootlimit 3: a power cut during a trial boot leaves two more tries, so the outcome is the check's. */
const OPTIONS: AbDeviceOptions = { deviceType: TYPE, artifactName: 'release-1.0', bootlimit: 3 };

interface StartupJson {
  status: string;
  journal?: { state: string; classification: string | null; artifactName: string; lastError: { code: string; message: string } | null; health: { passed: boolean } | null };
}

interface StatusJson {
  journal: { state: string; classification: string | null } | null;
  history: { outcome: string; artifactName: string; cause: string | null }[];
}

describe('usb-updater health in the A/B simulator', { skip }, () => {
  let dir = '';
  const sticks = { good: '', next: '', unbootable: '', module: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-health-'));
    makeFolders(dir, sticks);
    const sign = { signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') };
    await Promise.all([
      writeRootfsArtifact({ output: join(sticks.good, 'release-2.0.mender'), name: 'release-2.0', deviceTypes: [TYPE], ...sign }),
      writeRootfsArtifact({ output: join(sticks.next, 'release-3.0.mender'), name: 'release-3.0', deviceTypes: [TYPE], ...sign }),
      writeRootfsArtifact({ output: join(sticks.unbootable, 'release-2.1.mender'), name: 'release-2.1', deviceTypes: [TYPE], unbootable: true, ...sign }),
      writeSingleFileArtifact({ output: join(sticks.module, 'app-config-2.mender'), name: 'app-config-2', deviceTypes: [TYPE], destDir: '/data/app', fileName: 'app.conf', content: 'version=2\n', signKey: `${KEYS}rsa3072.key` }),
    ]);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A config whose one required check is the gate's `check-app` command (exit 0 unless told). */
  const setUp = (name: string, options: { health?: readonly string[] } = {}): { gate: Gate; config: string } => {
    const gate = new Gate(dir);
    const config = join(dir, `${name}.yaml`);
    const health = options.health ?? ['deadline: 2m', 'checks:', '  - name: app', '    type: command', `    command: [${gate.command('check-app')}]`, '    retries: 0'];
    writeSimConfig(config, { rebootCommand: gate.command('reboot', [REBOOT_COMMAND]), health, payloadTypes: ['rootfs-image', 'single-file'] });
    return { gate, config };
  };

  const cli = async (device: AbDevice, gate: Gate, args: readonly string[]): Promise<{ code: number; output: string; stdout: string }> => device.run('node', [BIN, ...args], { timeoutMs: 180_000, env: gate.env });

  const health = async (device: AbDevice, gate: Gate, config: string): Promise<{ code: number; json: StartupJson; output: string }> => {
    const result = await cli(device, gate, ['health', '--json', '-c', config]);
    return { code: result.code, json: JSON.parse(result.stdout || '{}') as StartupJson, output: result.output };
  };

  const status = async (device: AbDevice, gate: Gate, config: string): Promise<StatusJson> => {
    const result = await cli(device, gate, ['status', '--json', '-c', config]);
    assert.equal(result.code, 0, result.output);
    return JSON.parse(result.stdout) as StatusJson;
  };

  /** Installs from `stick` and reboots into the trial boot of the new image. */
  const installAndReboot = async (device: AbDevice, gate: Gate, config: string, stick: string): Promise<void> => {
    const reboot = device.rebootRequested();
    const result = await cli(device, gate, ['install', '--json', '-c', config, stick]);
    assert.equal(result.code, 0, result.output);
    await reboot;
    await device.reboot();
  };

  it('checks pass: committed, the new image stays across reboots, and the stick left in installs nothing', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const { gate, config } = setUp('pass');
      await installAndReboot(device, gate, config, sticks.good);
      assert.equal(device.activePartition(), 'B');
      const result = await health(device, gate, config);
      assert.equal(result.code, 0, result.output);
      assert.equal(result.json.status, 'committed');
      assert.equal(result.json.journal?.classification, 'trial-boot');
      assert.equal(result.json.journal?.health?.passed, true);
      assert.equal((await mender(device, ['show-artifact'])).stdout.trim(), 'release-2.0');
      assert.equal((await device.env()).upgrade_available, '0');

      await device.reboot();
      assert.equal(device.activePartition(), 'B');
      assert.equal((await device.run('cat', [RELEASE_FILE])).stdout.trim(), 'release-2.0');
      // A second boot-time check has nothing to do.
      const again = await health(device, gate, config);
      assert.equal(again.code, 0, again.output);
      assert.equal(again.json.status, 'nothing-pending');
      // The stick is still in: its artifact runs, nothing is installed.
      const stickAgain = await cli(device, gate, ['install', '--json', '-c', config, sticks.good]);
      assert.equal(stickAgain.code, 3, stickAgain.output);
      assert.match(stickAgain.output, /ALREADY_INSTALLED/);
      const parsed = await status(device, gate, config);
      assert.deepEqual(parsed.history.map((e) => [e.outcome, e.artifactName]), [['committed', 'release-2.0'], ['installed', 'release-2.0']]);
      // For people: the boot's case with its facts, and each check with its attempts and time.
      const text = await cli(device, gate, ['status', '-c', config]);
      assert.match(text.stdout, /boot after the install: trial-boot \(trial boot of the new image \(running partition 3, installed from 2 to 3; upgrade_available=1 mender_boot_part=3\)\)/);
      assert.match(text.stdout, /health checks passed in \d+\.\d s\n {4}PASS app \(command, 1 attempt, \d+\.\d s\): /);
    });
  });

  it('a required check fails: rolled back into the old image, marked failed, the same stick installs nothing, a newer one installs', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const { gate, config } = setUp('fail');
      gate.exitCode('check-app', 1);
      await installAndReboot(device, gate, config, sticks.good);
      const rebootBack = device.rebootRequested();
      const result = await health(device, gate, config);
      // Not a good boot: the new image failed its checks and the device goes back.
      assert.equal(result.code, 4, result.output);
      assert.equal(result.json.status, 'awaiting-reboot');
      assert.equal(result.json.journal?.state, 'ArtifactRollbackReboot');
      assert.equal(result.json.journal?.lastError?.code, 'HEALTH_CHECK_FAILED');
      assert.match(result.json.journal?.lastError?.message ?? '', /^app: /);
      assert.ok(!gate.calls().includes('commit'), gate.calls().join(' '));
      await rebootBack;
      await device.reboot();
      assert.equal(device.activePartition(), 'A');
      const back = await health(device, gate, config);
      // A good boot again: the old image runs (exit 3 is in the unit's SuccessExitStatus).
      assert.equal(back.code, 3, back.output);
      assert.equal(back.json.status, 'rolled-back');
      assert.equal((await device.env()).upgrade_available, '0');
      assert.equal((await mender(device, ['show-artifact'])).stdout.trim(), 'release-1.0');

      const same = await cli(device, gate, ['install', '--json', '-c', config, sticks.good]);
      assert.equal(same.code, 3, same.output);
      assert.match(same.output, /FAILED_BEFORE/);
      gate.exitCode('check-app', 0);
      await installAndReboot(device, gate, config, sticks.next);
      const next = await health(device, gate, config);
      assert.equal(next.code, 0, next.output);
      assert.equal(next.json.status, 'committed');
      const parsed = await status(device, gate, config);
      assert.deepEqual(parsed.history.map((e) => `${e.outcome} ${e.artifactName} ${e.cause ?? ''}`.trim()), [
        'committed release-3.0',
        'installed release-3.0',
        'rolled-back release-2.0 checks-failed',
        'installed release-2.0',
      ]);
    });
  });

  // The other ways a check fails: a port that never opens, a unit stuck activating (a service that
  // keeps restarting). The simulator has no systemd: a fake systemctl first on PATH answers `show`.
  const FAILING: { kind: string; check: (gate: Gate) => string[]; message: RegExp }[] = [
    { kind: 'a port never opens', check: () => ['type: tcp', 'host: 127.0.0.1', 'port: 9', 'retries: 1', 'interval: 200ms', 'timeout: 1s'], message: /^app: connect 127\.0\.0\.1:9 refused/ },
    {
      kind: 'a unit stuck activating',
      check: (gate) => {
        gate.script('systemctl', ['printf "LoadState=loaded\\nActiveState=activating\\nSubState=auto-restart\\nNRestarts=7\\n"']);
        return ['type: systemd-unit', 'unit: app.service', 'retries: 2', 'interval: 200ms'];
      },
      message: /^app: unit app\.service is activating/,
    },
  ];
  for (const { kind, check, message } of FAILING) {
    it(`a required check fails (${kind}): rolled back into the old image`, async () => {
      await withAbDevice(OPTIONS, async (device) => {
        const gate = new Gate(dir);
        const config = join(dir, `fail-${kind.replaceAll(' ', '-')}.yaml`);
        writeSimConfig(config, { health: ['deadline: 1m', 'checks:', '  - name: app', ...check(gate).map((l) => `    ${l}`)] });
        await installAndReboot(device, gate, config, sticks.good);
        const rebootBack = device.rebootRequested();
        const result = await health(device, gate, config);
        assert.equal(result.code, 4, result.output);
        assert.match(result.json.journal?.lastError?.message ?? '', message);
        await rebootBack;
        await device.reboot();
        assert.equal(device.activePartition(), 'A');
        const back = await health(device, gate, config);
        assert.equal(back.code, 3, back.output);
        assert.ok(!gate.calls().includes('commit'), gate.calls().join(' '));
      });
    });
  }

  it('the new image never reaches user space: the bootloader falls back; classified as such, never committed', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const { gate, config } = setUp('fallback');
      await installAndReboot(device, gate, config, sticks.unbootable);
      // Every try of B failed to boot; past bootlimit the bootloader went back to A.
      assert.equal(device.activePartition(), 'A');
      assert.ok(device.boots().some((b) => b.fellBack));
      const result = await health(device, gate, config);
      assert.equal(result.code, 3, result.output);
      assert.equal(result.json.status, 'rolled-back');
      assert.equal(result.json.journal?.classification, 'bootloader-fell-back');
      assert.equal(result.json.journal?.health, null);
      assert.deepEqual(gate.calls().filter((v) => v === 'commit'), []);
      const parsed = await status(device, gate, config);
      assert.equal(parsed.history[0]?.cause, 'bootloader-fell-back');
    });
  });

  it('an update module that needs no reboot: checked and committed in the install\'s own run; a failing check rolls it back', async () => {
    await withAbDevice(OPTIONS, async (device) => {
      const { gate, config } = setUp('module');
      const result = await cli(device, gate, ['install', '--json', '-c', config, sticks.module]);
      assert.equal(result.code, 0, result.output);
      assert.equal((JSON.parse(result.stdout) as { outcome: string }).outcome, 'committed');
      assert.equal((await device.run('cat', ['/data/app/app.conf'])).stdout, 'version=2\n');
      assert.equal(device.boots().length, 1, 'no reboot');

      const { gate: failing, config: failingConfig } = setUp('module-fail');
      failing.exitCode('check-app', 1);
      const copy = join(dir, 'module-again');
      mkdirSync(copy);
      await writeSingleFileArtifact({ output: join(copy, 'app-config-3.mender'), name: 'app-config-3', deviceTypes: [TYPE], destDir: '/data/app', fileName: 'app.conf', content: 'version=3\n', signKey: `${KEYS}rsa3072.key` });
      const bad = await cli(device, failing, ['install', '--json', '-c', failingConfig, copy]);
      assert.equal(bad.code, 1, bad.output);
      assert.equal((JSON.parse(bad.stdout) as { outcome: string }).outcome, 'rolled-back');
      // single-file's rollback puts the previous file back.
      assert.equal((await device.run('cat', ['/data/app/app.conf'])).stdout, 'version=2\n');
    });
  });

  describe('a power cut at every state of the deployment, then a new boot: the same outcome', () => {
    /**
     * Where each state's side effect can be cut, generated over every pending state (a new state
     * fails to compile here until it gets its row). `healthy`: whether the image passes its checks,
     * which decides the outcome the row must still reach. `point`: the gate held when the power is
     * cut; `stage`: which run holds it (the install, the check on the trial boot, or the check on
     * the boot after the rollback reboot).
     */
    interface Row {
      healthy: boolean;
      point: string;
      stage: 'install' | 'trial' | 'after-rollback';
      /** Also make `mender rollback` fail once, to reach ArtifactFailure. */
      failRollback?: boolean;
    }
    const ROWS: Record<PendingState, Row[]> = {
      ArtifactInstall: [{ healthy: true, point: 'install', stage: 'install' }],
      ArtifactReboot: [{ healthy: true, point: 'reboot', stage: 'install' }],
      ArtifactVerifyReboot: [{ healthy: true, point: 'check-app', stage: 'trial' }],
      ArtifactCommit: [{ healthy: true, point: 'commit', stage: 'trial' }, { healthy: true, point: 'commit-done', stage: 'trial' }],
      ArtifactRollback: [{ healthy: false, point: 'rollback', stage: 'trial' }, { healthy: false, point: 'rollback-done', stage: 'trial' }],
      ArtifactRollbackReboot: [{ healthy: false, point: 'reboot', stage: 'trial' }],
      ArtifactVerifyRollbackReboot: [{ healthy: false, point: 'printenv', stage: 'after-rollback' }],
      ArtifactFailure: [{ healthy: false, point: 'printenv', stage: 'trial', failRollback: true }],
    };

    for (const state of PENDING_STATES) {
      for (const row of ROWS[state]) {
        it(`${state}: cut at ${row.point} (${row.healthy ? 'healthy' : 'failing'} image)`, async () => {
          await withAbDevice(OPTIONS, async (device) => {
            const { gate, config } = setUp(`cut-${state}-${row.point}`);
            if (!row.healthy) gate.exitCode('check-app', 1);
            const stick = join(dir, `stick-${state}-${row.point}`);
            mkdirSync(stick);
            copyFileSync(join(sticks.good, 'release-2.0.mender'), join(stick, 'release-2.0.mender'));
            const cut = async (args: readonly string[], arm: () => Promise<void> | void): Promise<void> => {
              const running = device.spawn('node', [BIN, ...args, '-c', config], { env: gate.env });
              await arm();
              await gate.reached(row.point, running.exited);
              await device.powerCut();
            };

            if (row.stage === 'install') {
              gate.hold(row.point);
              await cut(['install', stick], () => undefined);
            } else {
              await installAndReboot(device, gate, config, stick);
              if (row.stage === 'after-rollback') {
                const rebootBack = device.rebootRequested();
                assert.equal((await health(device, gate, config)).code, 4);
                await rebootBack;
                await device.reboot();
                gate.hold(row.point);
                await cut(['health'], () => undefined);
              } else if (row.failRollback === true) {
                // The rollback fails (ArtifactFailure), and the power is cut while that is recorded.
                gate.hold('rollback');
                await cut(['health'], async () => {
                  await gate.reached('rollback');
                  gate.fail('rollback');
                  gate.hold('printenv');
                  gate.release('rollback');
                });
                gate.fail('rollback', false);
              } else {
                gate.hold(row.point);
                await cut(['health'], () => undefined);
              }
            }

            // The next boots: the check runs at each, and the device reboots when asked to (or, for
            // an install whose reboot the cut prevented, when someone does), until nothing is left.
            for (let boot = 0; boot < 5; boot += 1) {
              let asked = false;
              device.rebootRequested().then(() => (asked = true), () => undefined);
              const result = await health(device, gate, config);
              await new Promise((resolve) => setImmediate(resolve));
              const waiting = result.json.status === 'awaiting-reboot';
              if (!asked && !waiting) break;
              await device.reboot();
            }
            const parsed = await status(device, gate, config);
            const env = await device.env();
            assert.equal(env.upgrade_available, '0', JSON.stringify(parsed));
            const outcomes = parsed.history.map((e) => e.outcome);
            assert.ok(outcomes.filter((o) => o === 'installed').length <= 1, outcomes.join(', '));
            if (row.failRollback === true) {
              assert.equal(parsed.journal?.state, 'Failed');
              assert.equal(device.activePartition(), 'A');
            } else if (row.healthy && row.stage !== 'install') {
              assert.equal(parsed.journal?.state, 'Committed');
              assert.equal(device.activePartition(), 'B');
              assert.equal((await mender(device, ['show-artifact'])).stdout.trim(), 'release-2.0');
            } else if (row.healthy && row.point === 'reboot') {
              // The install completed before the cut: the cut was its reboot.
              assert.equal(parsed.journal?.state, 'Committed');
              assert.equal(device.activePartition(), 'B');
            } else {
              assert.equal(parsed.journal?.state, 'RolledBack');
              assert.equal(device.activePartition(), 'A');
              assert.equal((await mender(device, ['show-artifact'])).stdout.trim(), 'release-1.0');
            }
            // Never a commit without a passing check.
            if (!row.healthy) assert.ok(!gate.calls().includes('commit'), gate.calls().join(' '));
            if (state === 'ArtifactInstall') {
              // An install cut short is not held against the artifact: the same stick installs.
              const again = await cli(device, gate, ['install', '--json', '-c', config, stick]);
              assert.equal(again.code, 0, again.output);
            }
          });
        });
      }
    }
  });
});
