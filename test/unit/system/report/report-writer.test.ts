// The report writer's decisions that need no real stick: device numbers, a stick that hangs (given
// up, the caller freed, the late end logged), and a remount to read-only that fails (logged).
// The real filesystems are in test/root/stick-report.test.ts.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { describe, it } from 'node:test';
import { buildReport } from '../../../../src/feedback/index.js';
import { majMinOf, writeReportToStick, type StickReportSystem } from '../../../../src/system/report/report-writer.js';
import type { CommandResult } from '../../../../src/system/os/process.js';
import { recordingLogger } from '../../../support/fakes/recording-logger.js';

const report = buildReport({
  at: new Date('2026-11-27T17:05:12Z'),
  device: { hostname: 'pump-07', machineId: null, deviceType: 'dev-a' },
  stick: {},
  mountPoint: null,
  outcome: 'nothing',
  artifactBefore: null,
  artifactAfter: null,
});

const MOUNT_POINT = '/run/usb-updater/media/sdb1';
const mountinfo = (options: string): string => `120 30 8:17 / ${MOUNT_POINT} ${options} shared:1 - vfat /dev/sdb1 rw\n`;
const ok: CommandResult = { code: 0, signal: null, output: '', stdout: '', timedOut: false };

/** A stick at 8:17 that remounts as asked; `fs` overrides single file operations. */
function fakeSystem(fs: Partial<StickReportSystem['fs']>, remount: (mode: string) => CommandResult = () => ok): { system: StickReportSystem; commands: string[] } {
  let options = 'ro,nosuid,nodev,noexec';
  const commands: string[] = [];
  const system: StickReportSystem = {
    mountTable: () => Promise.resolve(mountinfo(options)),
    run: (command, args) => {
      commands.push([command, ...args].join(' '));
      const mode = /remount,(rw|ro)/.exec(args.join(' '))?.[1] ?? '';
      const result = remount(mode);
      if (result.code === 0) options = `${mode},nosuid,nodev,noexec`;
      return Promise.resolve(result);
    },
    fs: { ...fsp, ...fs },
  };
  return { system, commands };
}

describe('writeReportToStick without a stick', () => {
  it('reads MAJ:MIN from a device number as Linux packs it', () => {
    assert.equal(majMinOf(0x0811), '8:17');
    assert.equal(majMinOf(0x10300), '259:0', 'NVMe-style major above 255');
    assert.equal(majMinOf(0x100700), '7:256', 'a loop minor above 255');
    const dev = statSync('/dev/null').rdev;
    assert.equal(majMinOf(dev), '1:3');
  });

  it('a stick that hangs is given up after the time allowed; the late end is logged, the stick read-only again', async () => {
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const { system, commands } = fakeSystem({
      mkdir: async () => {
        await hung;
        throw Object.assign(new Error('EIO'), { code: 'EIO' });
      },
    });
    const { lines, logger } = recordingLogger();
    const result = await writeReportToStick(MOUNT_POINT, '8:17', report, system, logger, { timeoutMs: 50 });
    assert.deepEqual(result, { status: 'not-written', reason: 'timeout', errno: 'ETIMEDOUT', message: 'the stick did not answer within 50 ms', readOnlyAgain: null });
    assert.deepEqual(lines.map(([level, message, fields]) => [level, message, fields['reason']]), [['warn', 'report not written to the stick', 'timeout']]);
    release();
    // The stuck call ends (here with EIO): its result is logged and the stick remounted read-only.
    while (lines.length < 2) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines[1]?.slice(0, 2), ['warn', 'a report write that timed out has ended']);
    assert.equal(lines[1]?.[2]['reason'], 'gone');
    assert.deepEqual(commands, [`mount -o remount,rw,nosuid,nodev,noexec ${MOUNT_POINT}`, `mount -o remount,ro,nosuid,nodev,noexec ${MOUNT_POINT}`]);
  });

  it('a remount to read-only that fails is logged as an error and said in the result', async () => {
    const { system } = fakeSystem(
      { mkdir: (() => Promise.reject(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }))) as StickReportSystem['fs']['mkdir'] },
      (mode) => (mode === 'ro' ? { ...ok, code: 32, output: 'mount: busy' } : ok),
    );
    const { lines, logger } = recordingLogger();
    const result = await writeReportToStick(MOUNT_POINT, '8:17', report, system, logger);
    assert.equal(result.status === 'not-written' && result.reason, 'no-space');
    assert.equal(result.readOnlyAgain, false);
    assert.deepEqual(lines.map(([level, message]) => [level, message]), [
      ['error', 'the stick could not be remounted read-only after the report'],
      ['warn', 'report not written to the stick'],
    ]);
  });
});
