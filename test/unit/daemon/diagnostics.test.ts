// The daemon's diagnostics for a handled stick (issue 17): the request read from a real folder,
// judged with real keys, the bundle gathered from a real state folder and cut to its bound, the
// raw machine id in none of it; the device's other facts and the stick writer are stand-ins here
// (the writer on a real stick image is test/root/stick-report.test.ts's).

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { handleDiagnostics, realDiagnosticsSystem, type DiagnosticsSystem } from '../../../src/daemon/diagnostics.js';
import { REQUEST_FILE, SIGNATURE_FILE, requestText, type BundleFile, type DiagnosticsRequest } from '../../../src/diagnostics/index.js';
import type { StickIdentity } from '../../../src/media/index.js';
import { configSchema, type LoadedConfig } from '../../../src/policy/index.js';
import { parseRequestKey, signRequest } from '../../../src/system/diagnostics/request-keys.js';
import { appSpecificId } from '../../../src/system/report/machine-identity.js';
import { recordingLogger } from '../../support/fakes/recording-logger.js';
import { withTempDir } from '../../support/harness/temp.js';
import { keyPem } from '../../support/skip/fixtures.js';

const RAW_ID = '5f2b0b5c1d9e4f7a8b6c3d2e1f0a9b8c';
const DEVICE_ID = appSpecificId(RAW_ID);
const NOW = new Date('2026-12-06T10:00:00Z');
const REQUEST: DiagnosticsRequest = { format: 1, device_type: 'board-a', issued: '2026-12-06T09:00:00Z', expires: '2026-12-07T09:00:00Z', nonce: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' };

interface Rig {
  stick: StickIdentity;
  loaded: LoadedConfig;
  system: DiagnosticsSystem;
  written: { folder: string; name: string; files: readonly BundleFile[] }[];
  calls: string[];
}

function rig(dir: string, diagnostics: Record<string, unknown> = { enabled: true }, logText = `started on machine ${RAW_ID}\nall good\n`): Rig {
  const mountPoint = join(dir, 'stick');
  const stateDir = join(dir, 'state');
  mkdirSync(mountPoint);
  mkdirSync(stateDir);
  writeFileSync(join(stateDir, 'ledger.jsonl'), '');
  const config = configSchema.parse({ signature: { keys: ['ec.pub'] }, state: { dir: stateDir }, diagnostics });
  const loaded: LoadedConfig = { file: join(dir, 'config.yaml'), config, keys: [parseRequestKey(keyPem('ec-p256.pub'), join(dir, 'ec.pub'))] };
  const written: Rig['written'] = [];
  const calls: string[] = [];
  const system: DiagnosticsSystem = {
    ...realDiagnosticsSystem,
    now: () => NOW,
    rawMachineId: () => {
      calls.push('rawMachineId');
      return Promise.resolve(RAW_ID);
    },
    hostname: () => Promise.resolve('dev-1'),
    deviceType: () => Promise.resolve('board-a'),
    provides: () => Promise.resolve({ artifact_name: 'release-1' }),
    clientVersion: () => Promise.resolve('mender 3.4.0'),
    logLines: () => Promise.resolve({ source: 'journalctl (stand-in)', text: logText }),
    writeBundle: (_stick, folder, name, files) => {
      written.push({ folder, name, files });
      return Promise.resolve({ status: 'written', files: [join(mountPoint, folder, name)], readOnlyAgain: true });
    },
  };
  const stick: StickIdentity = { device: '/dev/sdb1', majMin: '8:17', mountPoint, fsType: 'vfat', removable: true, bus: 'usb', options: ['ro'], disk: '/sys/block/sdb' };
  return { stick, loaded, system, written, calls };
}

function putRequest(r: Rig, request: DiagnosticsRequest = REQUEST, keyFile = 'ec-p256.key', signed = true): void {
  const text = requestText(request);
  writeFileSync(join(r.stick.mountPoint, REQUEST_FILE), text);
  if (signed) writeFileSync(join(r.stick.mountPoint, SIGNATURE_FILE), signRequest(keyPem(keyFile), keyFile, Buffer.from(text)));
}

const fileOf = (r: Rig, name: string): string => r.written[0]?.files.find((f) => f.name === name)?.data ?? assert.fail(`no ${name}`);

describe('handleDiagnostics', () => {
  it('a signed request for this device type: the bundle, named by the device id and time, without the raw machine id', () =>
    withTempDir(async (dir) => {
      const r = rig(dir);
      putRequest(r);
      const { logger, lines } = recordingLogger();
      const result = await handleDiagnostics(r.stick, r.loaded, null, logger, r.system);
      const name = `diagnostics-${DEVICE_ID}-20261206T100000Z`;
      assert.deepEqual(result, { status: 'written', folder: `usb-updater-reports/${name}`, files: 5, bytes: r.written[0]?.files.reduce((n, f) => n + Buffer.byteLength(f.data), 0) });
      assert.deepEqual(r.written.map((w) => [w.folder, w.name, w.files.map((f) => f.name)]), [['usb-updater-reports', name, ['status.json', 'journal.json', 'ledger.jsonl', 'service.log', 'summary.json']]]);
      const summary = JSON.parse(fileOf(r, 'summary.json')) as Record<string, Record<string, unknown>>;
      assert.deepEqual(summary['versions'], { usbUpdater: realDiagnosticsSystem.usbUpdaterVersion(), client: 'mender 3.4.0', artifactName: 'release-1' });
      assert.deepEqual(summary['device'], { id: DEVICE_ID, hostname: 'dev-1', deviceType: 'board-a' });
      assert.deepEqual(summary['request'], { ...REQUEST, key: join(dir, 'ec.pub') });
      assert.equal((summary['freeSpace'] as unknown as { freeBytes: number }[]).length, 3);
      assert.ok((summary['freeSpace'] as unknown as { freeBytes: number }[]).every((f) => f.freeBytes > 0));
      assert.deepEqual(JSON.parse(fileOf(r, 'status.json')), { journal: null, history: [], ledgerSkippedLines: 0 });
      assert.equal(fileOf(r, 'journal.json'), '(no such file)\n');
      assert.equal(fileOf(r, 'service.log'), 'started on machine [redacted]\nall good\n');
      for (const file of r.written[0]?.files ?? []) assert.ok(!file.data.includes(RAW_ID), `${file.name} holds the raw machine id`);
      assert.ok(lines.some(([level, message, fields]) => level === 'info' && message === 'diagnostics request accepted' && fields['nonce'] === REQUEST.nonce));
    }));

  it('a log far over diagnostics.max_size: the bundle stays within it, the newest lines kept', () =>
    withTempDir(async (dir) => {
      const log = Array.from({ length: 200_000 }, (_, i) => `line ${i}\n`).join('');
      const r = rig(dir, { enabled: true, max_size: '64KiB' }, log);
      putRequest(r);
      await handleDiagnostics(r.stick, r.loaded, null, recordingLogger().logger, r.system);
      const total = r.written[0]?.files.reduce((n, f) => n + Buffer.byteLength(f.data), 0) ?? 0;
      assert.ok(total <= 64 * 1024, `${total} bytes`);
      assert.ok(fileOf(r, 'service.log').endsWith('line 199999\n'));
      assert.deepEqual((JSON.parse(fileOf(r, 'summary.json')) as { cut: { name: string }[] }).cut.map((c) => c.name), ['service.log']);
    }));

  it('no request on the stick: nothing, and nothing else read', () =>
    withTempDir(async (dir) => {
      const r = rig(dir);
      assert.equal(await handleDiagnostics(r.stick, r.loaded, null, recordingLogger().logger, r.system), null);
      assert.deepEqual(r.calls, []);
      assert.deepEqual(r.written, []);
    }));

  it('unsigned, foreign or off: refused with the reason, logged, and no bundle', () =>
    withTempDir(async (dir) => {
      const r = rig(dir);
      putRequest(r, REQUEST, 'ec-p256.key', false);
      const { logger, lines } = recordingLogger();
      assert.deepEqual(await handleDiagnostics(r.stick, r.loaded, null, logger, r.system), { status: 'refused', code: 'DIAGNOSTICS_REQUEST_UNSIGNED', message: 'usb-updater-diagnostics.json has no usb-updater-diagnostics.json.sig beside it' });
      assert.ok(lines.some(([level, message, fields]) => level === 'warn' && message === 'diagnostics request refused' && fields['code'] === 'DIAGNOSTICS_REQUEST_UNSIGNED'));
      putRequest(r, { ...REQUEST, device_type: 'board-b' });
      assert.equal((await handleDiagnostics(r.stick, r.loaded, null, logger, r.system) as { code: string }).code, 'DIAGNOSTICS_REQUEST_FOREIGN');
      mkdirSync(join(dir, 'off'));
      const off = rig(join(dir, 'off'), { enabled: false });
      putRequest(off);
      assert.equal((await handleDiagnostics(off.stick, off.loaded, null, logger, off.system) as { code: string }).code, 'DIAGNOSTICS_DISABLED');
      assert.deepEqual([...r.written, ...off.written], []);
    }));

  it('diagnostics.keys replaces the artifact keys: an Ed25519 key given there signs; the artifact key then does not', () =>
    withTempDir(async (dir) => {
      const ed = generateKeyPairSync('ed25519');
      writeFileSync(join(dir, 'diag.pub'), ed.publicKey.export({ format: 'pem', type: 'spki' }));
      const r = rig(dir, { enabled: true, keys: ['diag.pub'] });
      const text = requestText(REQUEST);
      writeFileSync(join(r.stick.mountPoint, REQUEST_FILE), text);
      writeFileSync(join(r.stick.mountPoint, SIGNATURE_FILE), signRequest(ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'ed', Buffer.from(text)));
      assert.equal((await handleDiagnostics(r.stick, r.loaded, null, recordingLogger().logger, r.system))?.status, 'written');
      putRequest(r);
      assert.equal((await handleDiagnostics(r.stick, r.loaded, null, recordingLogger().logger, r.system) as { code: string }).code, 'DIAGNOSTICS_REQUEST_SIGNATURE_INVALID');
    }));

  it('a stick that cannot take the bundle (full): not written, with the writer message', () =>
    withTempDir(async (dir) => {
      const r = rig(dir);
      putRequest(r);
      r.system.writeBundle = () => Promise.resolve({ status: 'not-written', reason: 'no-space', errno: 'ENOSPC', message: 'the stick is full (x: ENOSPC)', readOnlyAgain: true });
      assert.deepEqual(await handleDiagnostics(r.stick, r.loaded, null, recordingLogger().logger, r.system), { status: 'not-written', message: 'the stick is full (x: ENOSPC)' });
    }));
});
