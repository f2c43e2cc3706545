// Issue 8's fault matrix with the real client in the A/B simulator: the error and hang columns (the
// kill column is test/root/health.test.ts's power cut at every state). A representative subset:
// every state whose step is one command the simulator can make fail or hang at a gate; each row is
// a fresh device (~5–10 s), so the full cross product, with kills before and after every step,
// runs on the device model (test/unit/install/fault-matrix.test.ts). Rows are generated from a
// Record over the pending states: a new state fails to compile until it has its rows or a reason.
// Hangs are held at a gate that is never released: the bounds end them (client.timeout,
// reboot.timeout, health.deadline), set short here.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PENDING_STATES, type PendingState } from '../../src/state/index.js';
import { REBOOT_COMMAND, mender, needsAbDevice, withAbDevice, type AbDevice } from '../support/simulator/ab-device.js';
import { Gate } from '../support/simulator/client-gate.js';
import { BIN, KEYS, keyPem } from '../support/skip/fixtures.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';

const skip = needsAbDevice();
const TYPE = 'sim-dev';

type Column = 'error' | 'hang';
interface SimRow {
  healthy: boolean;
  /** Which run the fault strikes: the install, or the boot-time check on the trial boot. */
  stage: 'install' | 'trial';
  arm(gate: Gate): void;
  /** Undoes a fault that would otherwise strike at every later start too. */
  disarm?(gate: Gate): void;
  /** The gate point that must have been reached (the fault did strike). */
  point: string;
  outcome: 'Committed' | 'RolledBack' | 'Failed';
}

/** Rows by state and column; a string says why the column has no simulator row. */
const ROWS: Record<PendingState, Record<Column, SimRow | string>> = {
  ArtifactInstall: {
    error: { healthy: true, stage: 'install', arm: (g) => g.fail('install'), point: 'install', outcome: 'Failed' },
    hang: 'the install has no timeout (a large image takes as long as it takes): only its input ending (the stick pulled) ends a hung client',
  },
  ArtifactReboot: {
    error: { healthy: true, stage: 'install', arm: (g) => g.fail('reboot'), point: 'reboot', outcome: 'RolledBack' },
    hang: { healthy: true, stage: 'install', arm: (g) => g.hold('reboot'), point: 'reboot', outcome: 'RolledBack' },
  },
  ArtifactVerifyReboot: {
    error: { healthy: true, stage: 'trial', arm: (g) => g.exitCode('check-app', 1), point: 'check-app', outcome: 'RolledBack' },
    hang: { healthy: true, stage: 'trial', arm: (g) => g.hold('check-app'), point: 'check-app', outcome: 'RolledBack' },
  },
  ArtifactCommit: {
    error: { healthy: true, stage: 'trial', arm: (g) => g.fail('commit'), point: 'commit', outcome: 'RolledBack' },
    hang: { healthy: true, stage: 'trial', arm: (g) => g.hold('commit'), point: 'commit', outcome: 'RolledBack' },
  },
  ArtifactRollback: {
    error: { healthy: false, stage: 'trial', arm: (g) => g.fail('rollback'), disarm: (g) => g.fail('rollback', false), point: 'rollback', outcome: 'Failed' },
    hang: { healthy: false, stage: 'trial', arm: (g) => g.hold('rollback'), point: 'rollback', outcome: 'Failed' },
  },
  ArtifactRollbackReboot: {
    error: { healthy: false, stage: 'trial', arm: (g) => g.fail('reboot'), disarm: (g) => g.fail('reboot', false), point: 'reboot', outcome: 'RolledBack' },
    hang: { healthy: false, stage: 'trial', arm: (g) => g.hold('reboot'), point: 'reboot', outcome: 'RolledBack' },
  },
  ArtifactVerifyRollbackReboot: { error: 'the device model covers it (one more boot per row here)', hang: 'the device model covers it' },
  ArtifactFailure: { error: 'the device model covers it (reaching it takes a failing rollback first)', hang: 'the device model covers it' },
};

interface StatusJson {
  journal: { state: string; artifactName: string } | null;
  history: { outcome: string }[];
}

describe('the fault matrix in the A/B simulator: error and hang of each step', { skip }, () => {
  let dir = '';
  let artifact = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-matrix-'));
    artifact = join(dir, 'release-2.0.mender');
    await writeRootfsArtifact({ output: artifact, name: 'release-2.0', deviceTypes: [TYPE], signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (device: AbDevice, gate: Gate, args: readonly string[], config: string): Promise<{ code: number; stdout: string; output: string }> =>
    device.run('node', [BIN, ...args, '-c', config], { timeoutMs: 180_000, env: gate.env });

  for (const state of PENDING_STATES) {
    for (const column of ['error', 'hang'] as const) {
      const row = ROWS[state][column];
      // A column without a simulator row carries its reason in ROWS (the compiler asks for one).
      if (typeof row === 'string') continue;
      it(`${state}: ${row.point} ${column} → ${row.outcome}`, async () => {
        await withAbDevice({ deviceType: TYPE, artifactName: 'release-1.0', bootlimit: 3 }, async (device) => {
          const gate = new Gate(dir);
          // The reboot command and the check of the config, at gates that can hold them or make
          // them fail, and that list their calls next to the client's verbs.
          const check = gate.script('check-app', ['echo check-app >> "$GATE/calls"', 'hold check-app', 'exit "$(cat "$GATE/exit-check-app" 2>/dev/null || echo 0)"']);
          const reboot = gate.script('reboot', ['echo reboot >> "$GATE/calls"', 'hold reboot', 'if [ -e "$GATE/fail-reboot" ]; then echo "gate: reboot made to fail" >&2; exit 1; fi', `exec ${REBOOT_COMMAND}`]);
          const config = join(gate.dir, 'config.yaml');
          const health = ['deadline: 3s', 'checks:', '  - name: app', '    type: command', `    command: [${check}]`, '    timeout: 2s', '    retries: 0'];
          writeSimConfig(config, { rebootCommand: reboot, health, rebootTimeout: '2s', clientTimeout: '3s' });
          if (!row.healthy) gate.exitCode('check-app', 1);
          const stick = join(gate.dir, 'stick');
          mkdirSync(stick);
          copyFileSync(artifact, join(stick, 'release-2.0.mender'));

          if (row.stage === 'install') row.arm(gate);
          const rebooting = device.rebootRequested();
          const install = await run(device, gate, ['install', '--json', stick], config);
          if (row.stage === 'install') {
            assert.notEqual(install.code, 0, install.output);
          } else {
            assert.equal(install.code, 0, install.output);
            await rebooting;
            await device.reboot();
            assert.equal(device.activePartition(), 'B');
            row.arm(gate);
          }
          rebooting.catch(() => undefined);
          // The next starts: the check runs at each; the device reboots when asked to (or, for a
          // rollback reboot that failed, when someone does), until nothing is left to do.
          for (let boot = 0; boot < 5; boot += 1) {
            let asked = false;
            device.rebootRequested().then(() => (asked = true), () => undefined);
            const result = await run(device, gate, ['health', '--json'], config);
            row.disarm?.(gate);
            await new Promise((resolve) => setImmediate(resolve));
            const waiting = (JSON.parse(result.stdout || '{}') as { status?: string }).status === 'awaiting-reboot';
            if (!asked && !waiting) break;
            await device.reboot();
          }
          const status = await run(device, gate, ['status', '--json'], config);
          const parsed = JSON.parse(status.stdout) as StatusJson;
          const calls = gate.calls();
          assert.ok(calls.includes(row.point), `${row.point} never reached: ${calls.join(' ')}`);
          if (column === 'hang') assert.ok(gate.isHeld(row.point), `${row.point} was never held`);
          assert.equal(parsed.journal?.state, row.outcome, JSON.stringify(parsed));
          assert.equal((await device.env()).upgrade_available, '0');
          const partition = row.outcome === 'Committed' ? 'B' : 'A';
          assert.equal(device.activePartition(), partition);
          assert.equal((await mender(device, ['show-artifact'])).stdout.trim(), partition === 'B' ? 'release-2.0' : 'release-1.0');
          // Never a commit without a passing check.
          if (!row.healthy || state === 'ArtifactVerifyReboot') assert.ok(!calls.includes('commit'), calls.join(' '));
          assert.equal(parsed.history.filter((e) => e.outcome !== 'installed').length, 1, JSON.stringify(parsed.history));
        });
      });
    }
  }
});
