// Issue 17, diagnostics on request, on real filesystems on loop devices mounted read-only the way
// the udev unit mounts sticks: a signed request on the stick gets its bundle (the daemon's own
// diagnostics step, every part read from this machine), the stick read-only again, the raw machine
// id in no file; a stick too full for it keeps nothing of it. Needs root.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { handleDiagnostics, realDiagnosticsSystem } from '../../src/daemon/diagnostics.js';
import { REQUEST_FILE, SIGNATURE_FILE, requestText } from '../../src/diagnostics/index.js';
import type { StickIdentity } from '../../src/media/index.js';
import { configSchema, type LoadedConfig } from '../../src/policy/index.js';
import { parseMountInfo } from '../../src/media/index.js';
import { readMountTable } from '../../src/system/media/mount-table.js';
import { parseRequestKey, signRequest } from '../../src/system/diagnostics/request-keys.js';
import { readRawMachineId } from '../../src/system/report/machine-identity.js';
import { asWritable as asWritableWith, LoopSticks } from '../support/harness/loop-sticks.js';
import { recordingLogger } from '../support/fakes/recording-logger.js';
import { keyPem, needsTool } from '../support/skip/fixtures.js';
import { needsRoot } from '../support/skip/media.js';

// The stick goes back to the daemon's mount options after the test's own set-up.
const asWritable = (mountPoint: string, work: () => void): void => asWritableWith(mountPoint, work, 'ro,nosuid,nodev,noexec');

const skip = needsRoot() || needsTool('mkfs.ext4', 'e2fsprogs') || needsTool('losetup', 'mount');

async function majMinAt(mountPoint: string): Promise<string> {
  const entries = parseMountInfo(await readMountTable()).filter((m) => m.mountPoint === mountPoint);
  return entries[entries.length - 1]?.majMin ?? assert.fail(`nothing mounted at ${mountPoint}`);
}

describe('issue 17: a diagnostics bundle written to a real stick', { skip }, () => {
  let sticks: LoopSticks;
  let count = 0;
  let loaded: LoadedConfig;
  const signedRequest = (mountPoint: string): void => {
    const now = Date.now();
    const text = requestText({ format: 1, device_type: 'board-a', issued: new Date(now - 60_000).toISOString(), expires: new Date(now + 3_600_000).toISOString(), nonce: '00112233445566778899aabbccddeeff' });
    writeFileSync(join(mountPoint, REQUEST_FILE), text);
    writeFileSync(join(mountPoint, SIGNATURE_FILE), signRequest(keyPem('ec-p256.key'), 'ec-p256.key', Buffer.from(text)));
  };
  async function stickWithRequest(label: string, fill = false): Promise<StickIdentity> {
    const loop = sticks.stick('ext4', label);
    const mountPoint = `${sticks.dir}/media/stick${(count += 1)}`;
    sticks.mount(loop, mountPoint);
    asWritable(mountPoint, () => {
      signedRequest(mountPoint);
      if (fill) {
        mkdirSync(join(mountPoint, 'usb-updater-reports'));
        for (const [file, bs] of [['fill', '64k'], ['fill-rest', '1k']] as const) spawnSync('dd', ['if=/dev/zero', `of=${join(mountPoint, file)}`, `bs=${bs}`]);
      }
    });
    return { device: loop, majMin: await majMinAt(mountPoint), mountPoint, fsType: 'ext4', removable: true, bus: 'usb', options: ['ro'], disk: '/sys/block/loop' };
  }

  before(() => {
    sticks = new LoopSticks();
    const dir = `${sticks.dir}/state`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ledger.jsonl'), '');
    writeFileSync(`${sticks.dir}/device_type`, 'device_type=board-a\n');
    const config = configSchema.parse({ signature: { keys: ['ec.pub'] }, state: { dir }, device: { device_type_file: `${sticks.dir}/device_type` }, diagnostics: { enabled: true, max_size: '256KiB' } });
    loaded = { file: `${sticks.dir}/config.yaml`, config, keys: [parseRequestKey(keyPem('ec-p256.pub'), 'ec.pub')] };
  });
  after(() => sticks.cleanup());

  it('ext4: the bundle in the report folder, every file complete, no raw machine id, the stick read-only again', async () => {
    const stick = await stickWithRequest('DIAG');
    const { logger, lines } = recordingLogger();
    const result = await handleDiagnostics(stick, loaded, null, logger, realDiagnosticsSystem);
    assert.equal(result?.status, 'written', JSON.stringify({ result, lines }));
    const folder = join(stick.mountPoint, result?.status === 'written' ? result.folder : '');
    assert.deepEqual(readdirSync(folder).sort(), ['journal.json', 'ledger.jsonl', 'service.log', 'status.json', 'summary.json']);
    assert.deepEqual(readdirSync(join(stick.mountPoint, 'usb-updater-reports')).filter((n) => n.startsWith('.')), [], 'no temp folder left');
    const summary = JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8')) as { device: { deviceType: string }; versions: { usbUpdater: string; client: string } };
    assert.equal(summary.device.deviceType, 'board-a');
    assert.ok(summary.versions.usbUpdater.length > 0 && summary.versions.client.length > 0);
    const raw = await readRawMachineId();
    let total = 0;
    for (const name of readdirSync(folder)) {
      const data = readFileSync(join(folder, name), 'utf8');
      total += Buffer.byteLength(data);
      if (raw !== null) assert.ok(!data.includes(raw), `${name} holds the raw machine id`);
    }
    assert.ok(total <= 256 * 1024, `${total} bytes`);
    const options = parseMountInfo(await readMountTable()).filter((m) => m.mountPoint === stick.mountPoint).at(-1)?.options ?? [];
    assert.ok(options.includes('ro') && options.includes('noexec'), options.join(','));
    assert.deepEqual(lines.map(([level, message]) => [level, message]), [['info', 'diagnostics request accepted'], ['info', 'diagnostics bundle written to the stick']]);
  });

  it('a stick too full for the bundle: not written, nothing of it left, read-only again', async () => {
    const stick = await stickWithRequest('FULL', true);
    const { logger } = recordingLogger();
    const result = await handleDiagnostics(stick, loaded, null, logger, realDiagnosticsSystem);
    assert.equal(result?.status, 'not-written', JSON.stringify(result));
    assert.match(result?.status === 'not-written' ? result.message : '', /the stick is full/);
    const reports = join(stick.mountPoint, 'usb-updater-reports');
    assert.deepEqual(existsSync(reports) ? readdirSync(reports) : [], [], 'no temp folder or partial bundle left');
    const options = parseMountInfo(await readMountTable()).filter((m) => m.mountPoint === stick.mountPoint).at(-1)?.options ?? [];
    assert.ok(options.includes('ro'));
  });
});
