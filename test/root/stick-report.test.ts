// Issue 7, the report written back to the stick, on real filesystems on loop devices mounted
// read-only the way the udev unit mounts sticks: a write there fails; the report is written, parses
// and the stick is read-only again; a full, write-protected, pulled or swapped stick, and a report
// folder replaced by a link, are reported as results and leave nothing behind. Needs root.
// vfat runs too where the kernel has the driver (this development VM's kernel has none: its list
// of filesystems says so in the test output).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildReport, type Report } from '../../src/feedback/index.js';
import { parseMountInfo } from '../../src/media/index.js';
import { readMountTable } from '../../src/system/media/mount-table.js';
import { realStickReportSystem, writeReportToStick, type StickReportSystem } from '../../src/system/report/report-writer.js';
import { needsTool } from '../support/skip/fixtures.js';
import { asWritable, LoopSticks } from '../support/harness/loop-sticks.js';
import { needsRoot } from '../support/skip/media.js';
import { recordingLogger } from '../support/fakes/recording-logger.js';

const skip = needsRoot() || needsTool('mkfs.ext4', 'e2fsprogs') || needsTool('losetup', 'mount');
const KERNEL_FILESYSTEMS = readFileSync('/proc/filesystems', 'utf8');
const FILESYSTEMS = ['ext4', 'ext2', 'vfat'].filter((fs) => new RegExp(`\\s${fs}$`, 'm').test(KERNEL_FILESYSTEMS));
const FOLDER = 'usb-updater-reports';

const report = (hostname = 'pump-07'): Report =>
  buildReport({
    at: new Date('2026-11-27T17:05:12Z'),
    device: { hostname, machineId: null, deviceType: 'dev-a' },
    stick: { device: '/dev/sdb1' },
    mountPoint: null,
    outcome: 'failed',
    artifactBefore: 'release-1.0',
    artifactAfter: 'release-1.0',
    error: { code: 'INSTALL_FAILED', message: 'the client said no' },
  });

async function mountOptions(mountPoint: string): Promise<string[] | null> {
  const entries = parseMountInfo(await readMountTable()).filter((m) => m.mountPoint === mountPoint);
  return entries[entries.length - 1]?.options ?? null;
}

/** A write straight to the mounted stick, as anything else on the device would try it. */
function tryWrite(path: string): string | null {
  try {
    writeFileSync(path, 'x');
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

/** What the stick holds in the report folder (nothing but complete reports may be there). */
const folderEntries = (mountPoint: string): string[] => (existsSync(join(mountPoint, FOLDER)) ? readdirSync(join(mountPoint, FOLDER)).sort() : []);

describe('issue 7: the report written to a real stick', { skip }, () => {
  let sticks: LoopSticks;
  let count = 0;
  const mountPointFor = (): string => `${sticks.dir}/media/stick${(count += 1)}`;

  before(() => {
    sticks = new LoopSticks();
  });
  after(() => sticks.cleanup());

  it('runs on the filesystems this kernel has', (t) => {
    t.diagnostic(`filesystems tested: ${FILESYSTEMS.join(', ')}${FILESYSTEMS.includes('vfat') ? '' : ' (this kernel has no vfat driver)'}`);
    assert.ok(FILESYSTEMS.includes('ext4') && FILESYSTEMS.includes('ext2'));
  });

  for (const fsType of FILESYSTEMS) {
    it(`${fsType}: read-only during the install, the report written, read-only again`, async () => {
      const loop = sticks.stick(fsType, 'UPDATE');
      const mountPoint = mountPointFor();
      sticks.mount(loop, mountPoint);
      assert.equal(tryWrite(join(mountPoint, 'probe')), 'EROFS', 'the stick is read-only as mounted');

      const { lines, logger } = recordingLogger();
      const first = await writeReportToStick(mountPoint, loop, report(), realStickReportSystem, logger);
      assert.equal(first.status, 'written', JSON.stringify(first));
      assert.equal(first.readOnlyAgain, true);
      // The same second again: a second pair of files, nothing overwritten.
      const second = await writeReportToStick(mountPoint, loop, report(), realStickReportSystem, logger);
      assert.equal(second.status, 'written');

      assert.deepEqual(folderEntries(mountPoint), ['pump-07-20261127T170512Z-2.json', 'pump-07-20261127T170512Z-2.txt', 'pump-07-20261127T170512Z.json', 'pump-07-20261127T170512Z.txt']);
      const json = JSON.parse(readFileSync(join(mountPoint, FOLDER, 'pump-07-20261127T170512Z.json'), 'utf8')) as Report;
      assert.deepEqual(json, report());
      assert.match(readFileSync(join(mountPoint, FOLDER, 'pump-07-20261127T170512Z.txt'), 'utf8'), /^usb-updater report: UPDATE FAILED\r\n[\s\S]*INSTALL_FAILED: the client said no/);
      const options = (await mountOptions(mountPoint)) ?? [];
      assert.ok(options.includes('ro'), `read-only again: ${options.join(',')}`);
      assert.ok(['nosuid', 'nodev', 'noexec'].every((o) => options.includes(o)), `the safe flags stay: ${options.join(',')}`);
      assert.equal(tryWrite(join(mountPoint, 'probe')), 'EROFS');
      assert.deepEqual(lines.map(([level, message]) => [level, message]), [['info', 'report written to the stick'], ['info', 'report written to the stick']]);
    });

    it(`${fsType}: a full stick is logged as such, read-only again, no partial file left`, async () => {
      const loop = sticks.stick(fsType, 'FULL');
      const mountPoint = mountPointFor();
      sticks.mount(loop, mountPoint);
      asWritable(mountPoint, () => {
        // The folder exists (an earlier report): the write itself, not the mkdir, meets the full disk.
        mkdirSync(join(mountPoint, FOLDER));
        // Big blocks, then small ones: the first leaves tens of KiB, more than a report needs.
        for (const [file, bs] of [['fill', '64k'], ['fill-rest', '1k']] as const) {
          const fill = spawnSync('dd', ['if=/dev/zero', `of=${join(mountPoint, file)}`, `bs=${bs}`], { encoding: 'utf8' });
          assert.match(fill.stderr, /No space left/);
        }
      });
      const { lines, logger } = recordingLogger();
      const result = await writeReportToStick(mountPoint, loop, report(), realStickReportSystem, logger);
      assert.equal(result.status, 'not-written');
      assert.equal(result.status === 'not-written' && result.reason, 'no-space', JSON.stringify(result));
      assert.equal(result.status === 'not-written' && result.errno, 'ENOSPC');
      assert.equal(result.readOnlyAgain, true);
      assert.deepEqual(folderEntries(mountPoint), [], 'no temp or partial file left');
      assert.ok((await mountOptions(mountPoint))?.includes('ro'));
      assert.deepEqual(lines.map(([level, message, fields]) => [level, message, fields['reason']]), [['warn', 'report not written to the stick', 'no-space']]);
    });
  }

  it('a write-protected stick (read-only device): nothing written, logged, still read-only', async () => {
    const loop = sticks.stick('ext4', 'LOCKED', { readOnly: true });
    const mountPoint = mountPointFor();
    sticks.mount(loop, mountPoint);
    const { lines, logger } = recordingLogger();
    const result = await writeReportToStick(mountPoint, loop, report(), realStickReportSystem, logger);
    assert.equal(result.status === 'not-written' && result.reason, 'write-protected', JSON.stringify(result));
    assert.equal(result.readOnlyAgain, true);
    assert.deepEqual(folderEntries(mountPoint), []);
    assert.match(String(lines[0]?.[2]['error']), /cannot be made writable/);
  });

  it('a stick pulled out before the report: nothing is written into the bare mount point', async () => {
    const loop = sticks.stick('ext4', 'PULLED');
    const mountPoint = mountPointFor();
    sticks.mount(loop, mountPoint);
    sticks.umount(mountPoint);
    const { logger } = recordingLogger();
    const result = await writeReportToStick(mountPoint, loop, report(), realStickReportSystem, logger);
    assert.equal(result.status === 'not-written' && result.reason, 'gone', JSON.stringify(result));
    assert.deepEqual(readdirSync(mountPoint), [], 'the folder underneath (on the root filesystem) is untouched');
  });

  it('a stick pulled out during the report: the write stops, nothing lands on the root filesystem', async () => {
    const loop = sticks.stick('ext4', 'YANKED');
    const mountPoint = mountPointFor();
    sticks.mount(loop, mountPoint);
    // Pulled right after the folder was made and opened: a lazy unmount, as the udev unit does it.
    const pulling: StickReportSystem = {
      ...realStickReportSystem,
      fs: {
        ...realStickReportSystem.fs,
        readdir: (async (path: string) => {
          execFileSync('umount', ['-l', mountPoint]);
          return realStickReportSystem.fs.readdir(path);
        }) as StickReportSystem['fs']['readdir'],
      },
    };
    const { logger } = recordingLogger();
    const result = await writeReportToStick(mountPoint, loop, report(), pulling, logger);
    sticks.forget(mountPoint);
    assert.equal(result.status === 'not-written' && result.reason, 'gone', JSON.stringify(result));
    assert.deepEqual(readdirSync(mountPoint), [], 'nothing written under the bare mount point');
  });

  it('a mount point that now holds another stick: nothing written to it, and it stays read-only', async () => {
    const first = sticks.stick('ext4', 'FIRST');
    const other = sticks.stick('ext4', 'OTHER');
    const mountPoint = mountPointFor();
    sticks.mount(other, mountPoint);
    const { logger } = recordingLogger();
    const result = await writeReportToStick(mountPoint, first, report(), realStickReportSystem, logger);
    assert.equal(result.status === 'not-written' && result.reason, 'swapped', JSON.stringify(result));
    assert.match(result.status === 'not-written' ? result.message : '', /now holds device 7:\d+, not the stick \(7:\d+\)/);
    assert.deepEqual(folderEntries(mountPoint), []);
    assert.ok((await mountOptions(mountPoint))?.includes('ro'));
  });

  it('a report folder that is a link on the stick is refused, never followed', async () => {
    const loop = sticks.stick('ext4', 'LINKED');
    const mountPoint = mountPointFor();
    const target = `${sticks.dir}/link-target`;
    mkdirSync(target);
    sticks.mount(loop, mountPoint);
    asWritable(mountPoint, () => symlinkSync(target, join(mountPoint, FOLDER)));
    const { logger } = recordingLogger();
    const result = await writeReportToStick(mountPoint, loop, report(), realStickReportSystem, logger);
    assert.equal(result.status === 'not-written' && result.reason, 'unsafe-folder', JSON.stringify(result));
    assert.deepEqual(readdirSync(target), []);
    assert.equal(result.readOnlyAgain, true);
  });
});
