// `npm run demo` as a user runs it: the demo's process, its narration checked for every phase in
// order and for the final outcome, and nothing of it left behind, also after a Ctrl-C mid-install:
// no loop device, no mount, no file.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { loopBackingFile } from '../demo/demo-sticks.js';
import { REQUIRED_TOOLS } from '../demo/required-tools.js';
import { needsAbDevice } from '../support/simulator/ab-device.js';
import { REPO, needsTool } from '../support/skip/fixtures.js';
import { runProcess } from '../support/harness/process.js';

// The simulator's needs, then the demo's own tools: each missing one skips here and fails in CI.
const skip = needsAbDevice() || REQUIRED_TOOLS.map(([tool, pkg]) => needsTool(tool, pkg)).find((reason) => reason !== false) || false;
const DEMO = `${REPO}dist/test/demo/demo.js`;

/** The phases a viewer must see, in this order (each one a line of the narration). */
const PHASES: readonly [string, RegExp][] = [
  ['the device boots', /^\[ *\d+\.\ds\] boot 1: partition A, release-1\.0/m],
  ['the daemon is ready', /daemon: following media/],
  ['stick 1 is checked', /stick 1 \(DEMO-GOOD\) holds \(usb-updater check\): release-2\.0\.mender ACCEPT \(will be installed\)/],
  ['stick 1 is plugged in', /stick 1 \(DEMO-GOOD\) plugged in/],
  ['the daemon sees it', /stick 1 \(DEMO-GOOD\): mounted read-only at \/run\/usb-updater\/media\/loop\d+ \(ext4, label DEMO-GOOD\)/],
  ['with progress', /installing release-2\.0: \d+%/],
  ['it is installed', /stick 1 \(DEMO-GOOD\): installed release-2\.0; the daemon asks for a reboot/],
  ['the device reboots', /rebooting/],
  ['into the new partition', /boot 2: partition B; bootloader: upgrade_available=1 bootcount=1/],
  ['the health check commits', /boot 2: health check \(usb-updater-health\.service\): trial-boot, release passed, data-partition passed -> committed release-2\.0 \(exit 0\)/],
  ['status confirms', /status: partition B, upgrade_available=0, deployment release-2\.0 Committed/],
  ['stick 2 is checked', /stick 2 \(DEMO-MIXED\) holds \(usb-updater check\): .*release-9\.0\.mender REJECT DEVICE_TYPE_MISMATCH/],
  ['stick 2 is plugged in', /stick 2 \(DEMO-MIXED\) plugged in/],
  ['nothing is installed, with the reasons', /stick 2 \(DEMO-MIXED\): nothing installed: (?=.*release-9\.0\.mender REJECT DEVICE_TYPE_MISMATCH)(?=.*release-3\.0\.mender REJECT UNSIGNED)/],
  ['the report is written', /stick 2 \(DEMO-MIXED\): report written to the stick \([^)]*\.txt/],
  ['and printed', /the report on stick 2 \(DEMO-MIXED\), usb-updater-reports\/[^:]+\.txt:\n +usb-updater report: NOTHING INSTALLED/],
  ['with each file and its reason', /^ +REJECT +[^\n]*release-9\.0\.mender[^\n]*\n +DEVICE_TYPE_MISMATCH: /m],
  ['the device is unchanged', /status: partition B, upgrade_available=0, deployment release-2\.0 Committed/],
  ['the round starts', /the round: stick 1 goes back into device 1, then into devices 2 and 3/],
  ['device 1 gets the boot check\'s report, then the visit\'s', /stick 1 \(DEMO-GOOD\) on device 1: report written to the stick[^\n]*\n(?:.*\n)*?.*stick 1 \(DEMO-GOOD\) on device 1: nothing installed: release-2\.0\.mender REJECT ALREADY_INSTALLED/],
  ['device 2 has its own id', /device 2: type demo-device, release-1\.0; its id in reports [0-9a-f]{32}/],
  ['device 2 installs', /stick 1 \(DEMO-GOOD\) on device 2: installed release-2\.0/],
  ['and is left before its restart', /device 2: the technician takes stick 1 before the restart/],
  ['device 3 installs nothing', /stick 1 \(DEMO-GOOD\) on device 3: nothing installed: release-2\.0\.mender REJECT DEVICE_TYPE_MISMATCH/],
  ['the summary of stick 1', /usb-updater reports on stick 1:\n +3 devices, 5 reports read/],
  ['device 1 updated', /demo-device +[\d-]+ [\d:]+ +nothing +release-2\.0 -> release-2\.0\n(?:.*\n)*? +last update: updated: the new software passed its boot check/],
  ['the pending boot check', /Boot check pending \(1\)/],
  ['the final outcome', /demo: OK \(committed release-2\.0; stick 2 left the device unchanged; stick 1's summary: 3 devices, 1 boot check pending\)/],
  ['the clean-up', /cleaned up: /],
];

describe('npm run demo', { skip }, () => {
  let work = '';
  before(() => {
    work = mkdtempSync('/tmp/usb-updater-test-demo-');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('narrates every phase in order, ends OK and leaves nothing behind', async () => {
    // The timeout only stops a hung demo; its speed is measured by hand (test/README.md), not asserted.
    const result = await runProcess(process.execPath, [DEMO, '--work-dir', work], { timeoutMs: 600_000 });
    assert.equal(result.code, 0, result.output);
    let from = 0;
    for (const [phase, pattern] of PHASES) {
      const match = pattern.exec(result.stdout.slice(from));
      assert.ok(match, `${phase}: ${String(pattern)} not found after offset ${from} in:\n${result.stdout}`);
      from += match.index + match[0].length;
    }
    assert.doesNotMatch(result.stdout, /FAILED|daemon error/);
    assertNothingLeft(work);
  });

  it('cleans up when it is interrupted (Ctrl-C) in the middle of an install', async () => {
    const demo = spawn(process.execPath, [DEMO, '--work-dir', work], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<number | null>((resolve) => demo.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      demo.stdout.setEncoding('utf8').on('data', (text: string) => {
        output += text;
        if (output.includes('stick 1 (DEMO-GOOD) plugged in')) resolve();
      });
      demo.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
      void exited.then(() => resolve());
    });
    demo.kill('SIGINT');
    assert.equal(await exited, 130, output);
    assert.match(output, /SIGINT: stopping the demo and cleaning up/);
    assert.match(output, /cleaned up: /);
    assert.doesNotMatch(output, /demo: OK/);
    assertNothingLeft(work);
  });
});

/** No file, loop device or mount of the demo under `work`. */
function assertNothingLeft(work: string): void {
  assert.deepEqual(readdirSync(work), [], 'the demo removed its folder');
  const loops = readdirSync('/sys/block').filter((name) => loopBackingFile(`/dev/${name}`)?.startsWith(work) === true);
  assert.deepEqual(loops, [], 'no loop device of the demo is left');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(work));
  assert.deepEqual(mounts, [], 'no mount of the demo is left');
}
