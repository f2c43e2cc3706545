// Every error code is a documented contract: each one is listed in the error code table of
// src/errors/README.md and produced, by one case below, through the public surface that raises it.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { parsePublicKey, readArtifact } from '../../../src/artifact/index.js';
import { ERROR_CODES, UpdaterError, type ErrorCode } from '../../../src/errors/index.js';
import { assertHealthy, runHealthChecks } from '../../../src/health/index.js';
import { detectClient, exactBytes, recoverAtStartup } from '../../../src/install/index.js';
import { collectCandidates, scanStick, type ReadFile, type ScanOptions } from '../../../src/media/index.js';
import { assertRootOnly } from '../../../src/system/config/file-trust.js';
import { assertStandalone } from '../../../src/system/install/mender-daemon.js';
import { monotonicClock } from '../../../src/system/health/monotonic-clock.js';
import { realHealthProbes } from '../../../src/system/health/health-probes.js';
import { runCommand } from '../../../src/system/os/process.js';
import { runWithFifoInput } from '../../../src/system/install/fifo-input.js';
import { endless } from '../../support/fakes/endless-input.js';
import { configSchema, pathRule, type LoadedConfig } from '../../../src/policy/index.js';
import { Journal, Ledger, next, parseJournal, type State } from '../../../src/state/index.js';
import { acquireDeploymentLock } from '../../../src/system/state/deployment-lock.js';
import { fileStateStore } from '../../../src/system/state/state-store.js';
import { fakeStick } from '../../support/fakes/fake-stick-fs.js';
import { withTempDir, withTempFile } from '../../support/harness/temp.js';
import { readMountTable } from '../../../src/system/media/mount-table.js';
import { readDocs, tableRows } from '../../support/harness/docs.js';
import { artifact, keyPem } from '../../support/skip/fixtures.js';
import { forgeArtifact } from '../../support/artifacts/forge.js';
import { runCli } from '../../support/harness/run-cli.js';
import { memoryStore, testDeps } from '../../support/fakes/state-stores.js';
import { buildTar, readMembers } from '../../support/artifacts/tar-tools.js';
import { Stop, installAndReboot, rig, run, type RigOptions } from '../../support/fakes/finish-rig.js';
import { recordingLogger } from '../../support/fakes/recording-logger.js';
import { StickHandler } from '../../../src/daemon/stick-handler.js';
import { decideRequest, type RequestInput } from '../../../src/diagnostics/index.js';

const full = (buf: Buffer): Promise<unknown> => readArtifact([buf], { mode: 'full' });
const edit = (name: string, f: (e: { name: string; data: Buffer }) => { name: string; data: Buffer }): Promise<Buffer> =>
  buildTar(readMembers(artifact(name)).map(f));
const cliCode = async (argv: string[]): Promise<never> => {
  const { stderr } = await runCli(argv);
  const code = /error ([A-Z_]+):/.exec(stderr)?.[1] ?? 'none';
  throw new UpdaterError(code as ErrorCode, stderr);
};

const inPromise = (work: () => unknown): Promise<unknown> => new Promise((resolve) => resolve(work()));
const journalIn = (deps = testDeps(memoryStore())): Journal => new Journal(deps, new Ledger(deps));
const STICK = { artifactName: 'r-2', sourcePath: '/m/r-2.mender', stick: {} };

/**
 * A deployment on the device model (the real deploy() and recoverAtStartup()): run to its end, or
 * with `before`, installed, changed by `before`, then one start-up: the last error its journal
 * recorded, as an UpdaterError.
 */
async function recorded(options: RigOptions, before?: (r: ReturnType<typeof rig>) => void): Promise<never> {
  const r = rig(options);
  if (before === undefined) await run(r);
  else {
    await installAndReboot(r);
    before(r);
    // Until the process ends (the rig's Stop: the rollback's reboot).
    await recoverAtStartup(r.journal(), r.deps).catch((err: unknown) => assert.ok(err instanceof Stop, String(err)));
  }
  const read = await r.journal().read();
  const lastError = read.status === 'ok' ? read.journal.lastError : null;
  throw new UpdaterError(lastError?.code ?? ('none' as ErrorCode), lastError?.message ?? 'no error recorded');
}

const scanOptions = (): ScanOptions => ({ rule: pathRule(configSchema.parse({ signature: { required: false } }).search), maxDepth: 2, maxEntries: 100 });

/** Health checks as the config file gives them, run by the real probes and clock, then judged. */
async function healthOf(checks: unknown[], deadline: string): Promise<void> {
  const { health } = configSchema.parse({ signature: { required: false }, health: { deadline, checks } });
  assertHealthy(await runHealthChecks(health.checks, { probes: realHealthProbes(), clock: monotonicClock }, { deadlineMs: health.deadline }));
}

/** A diagnostics request judged (the verifier's answer given): its refusal, as an UpdaterError. */
function refusedRequest(over: Partial<RequestInput>, request: object = { format: 1, device_type: 'a', issued: '2026-12-06T09:00:00Z', expires: '2026-12-07T09:00:00Z', nonce: '0011223344556677' }): Promise<never> {
  const decision = decideRequest({
    enabled: true, request: { status: 'ok', bytes: Buffer.from(JSON.stringify(request)) }, signature: { status: 'ok', bytes: Buffer.from('AAAA') },
    verify: () => 'key.pub', now: new Date('2026-12-06T10:00:00Z'), maxValidityMs: 604_800_000, device: { deviceType: 'a', deviceId: null }, ...over,
  });
  if (decision === null || decision.accepted) return Promise.reject(new Error('accepted'));
  return Promise.reject(new UpdaterError(decision.code, decision.message));
}

const CASES: Record<ErrorCode, () => Promise<unknown>> = {
  ARTIFACT_EMPTY: () => full(Buffer.alloc(0)),
  ARTIFACT_NOT_TAR: () => full(Buffer.from('plain text')),
  ARTIFACT_TRUNCATED: () => full(artifact('rootfs-gzip-rsa.mender').subarray(0, 3000)),
  ARTIFACT_BAD_ENTRY: async () => full(await buildTar([{ name: '../version', data: Buffer.from('{}') }])),
  ARTIFACT_UNKNOWN_MEMBER: async () => full(await buildTar([{ name: 'evil', data: Buffer.from('x') }])),
  ARTIFACT_DUPLICATE_MEMBER: async () => full(await buildTar([...readMembers(artifact('rootfs-none-unsigned.mender')), { name: 'data/0000.tar', data: Buffer.alloc(0) }])),
  ARTIFACT_BAD_ORDER: async () => full(await buildTar(readMembers(artifact('rootfs-none-unsigned.mender')).reverse())),
  ARTIFACT_MISSING_MEMBER: async () => full(await buildTar(readMembers(artifact('rootfs-none-unsigned.mender')).filter((m) => m.name !== 'manifest'))),
  ARTIFACT_TOO_LARGE: async () => full(await edit('rootfs-none-unsigned.mender', (m) => (m.name === 'version' ? { ...m, data: Buffer.alloc(5000) } : m))),
  ARTIFACT_BAD_VERSION: async () => full(await edit('rootfs-none-unsigned.mender', (m) => (m.name === 'version' ? { ...m, data: Buffer.from('{"format":"mender","version":9}') } : m))),
  ARTIFACT_BAD_MANIFEST: async () => full(await edit('rootfs-none-unsigned.mender', (m) => (m.name === 'manifest' ? { ...m, data: Buffer.from('nonsense\n') } : m))),
  ARTIFACT_BAD_HEADER: async () => full(await forgeArtifact({ headerEntries: [{ name: 'header-info', data: Buffer.from('[]') }] })),
  ARTIFACT_COMPRESSION: async () => full(await forgeArtifact({ headerStored: Buffer.concat([gzipSync(Buffer.alloc(1024)).subarray(0, 10), Buffer.alloc(64, 0xff)]) })),
  ARTIFACT_CHECKSUM_MISMATCH: async () => full(await edit('rootfs-none-unsigned.mender', (m) => (m.name === 'header.tar' ? { ...m, data: Buffer.concat([m.data.subarray(0, 100), Buffer.from('X'), m.data.subarray(101)]) } : m))),
  ARTIFACT_PAYLOAD_MISMATCH: async () => full(await forgeArtifact({ dataEntries: [] })),
  ARTIFACT_SIGNATURE_MISSING: () => readArtifact([artifact('rootfs-none-unsigned.mender')], { mode: 'header', keys: [parsePublicKey(keyPem('rsa3072.pub'), 'k')] }),
  ARTIFACT_SIGNATURE_INVALID: () => readArtifact([artifact('rootfs-gzip-rsa.mender')], { mode: 'header', keys: [parsePublicKey(keyPem('ec-p256.pub'), 'k')] }),
  KEY_INVALID: () => new Promise((resolve) => resolve(parsePublicKey('not a key', 'k'))),
  IO_ERROR: () => cliCode(['inspect', '/nonexistent.mender']),
  USAGE_ERROR: () => cliCode(['check', '--provides', 'no-equals-sign', '/nonexistent']),
  CONFIG_INVALID: () => withTempFile('config.yaml', 'signature:\n  requird: true\n', (path) => cliCode(['config', 'check', path])),
  MEDIA_GONE: () => scanStick('/stick', fakeStick('/stick', { updates: { 'a.mender': Buffer.from('x') } }, { '/stick/updates': 'EIO' }), scanOptions()),
  MEDIA_TOO_MANY_ENTRIES: () => scanStick('/stick', fakeStick('/stick', { 'a.mender': Buffer.from('x'), 'b.mender': Buffer.from('y') }), { ...scanOptions(), maxEntries: 1 }),
  INSTALL_SOURCE_CHANGED: async () => {
    const bytes = Buffer.from(artifact('rootfs-none-unsigned.mender'));
    const { files } = await collectCandidates(['/s'], fakeStick('/s', { 'a.mender': bytes }), { ...scanOptions(), keys: [], signal: new AbortController().signal });
    bytes[600] = (bytes[600] ?? 0) ^ 1;
    for await (const chunk of exactBytes(files.get('/s/a.mender') as ReadFile, { chunkBytes: 4096 }).stream) assert.ok(chunk);
  },
  // A reader that opens the FIFO and never reads: ended after the stall timeout.
  INSTALL_STALLED: async () => runWithFifoInput('sh', (path) => ['-c', 'exec 3<"$1"; exec sleep 30', 'sh', path], endless(), { stallTimeoutMs: 200 }),
  INSTALL_FAILED: async () => (await detectClient(runCommand)).install([Buffer.from('not an artifact')]),
  INSTALL_NO_CLIENT: () => detectClient((command, args) => runCommand(command, args, { env: { PATH: '/nonexistent' } })),
  MEDIA_TIMEOUT: () => scanStick('/stick', fakeStick('/stick', { 'a.mender': Buffer.from('x') }), { ...scanOptions(), signal: AbortSignal.abort() }),
  STATE_CORRUPT: () => inPromise(() => parseJournal('{"format":1,"state":')),
  STATE_VERSION_UNKNOWN: () => inPromise(() => parseJournal('{"format":2}')),
  STATE_WRITE_FAILED: () => withTempFile('not-a-folder', '', (path) => fileStateStore(path).replace('journal.json', '{}')),
  STATE_LOCKED: () => withTempDir(async (dir) => {
    await acquireDeploymentLock(dir, { bootId: 'b', now: '2026-11-27T10:00:00Z', pid: 1, isAlive: () => Promise.resolve(true) });
    await acquireDeploymentLock(dir, { bootId: 'b', now: '2026-11-27T10:00:00Z', pid: 2 });
  }),
  STATE_BAD_TRANSITION: () => inPromise(() => next<State, 'committed'>('ArtifactInstall', 'committed')),
  INSTALL_MANAGED_MODE: () =>
    withTempDir(async (proc) => {
      mkdirSync(`${proc}/4242`);
      writeFileSync(`${proc}/4242/cmdline`, '/usr/bin/mender\0daemon\0');
      await assertStandalone(proc);
    }),
  INSTALL_PENDING_UPDATE: async () => {
    const journal = journalIn();
    await journal.begin(STICK);
    await journal.begin(STICK);
  },
  MEDIA_BAD_OPTION: () => cliCode(['watch', '--media-root', 'relative/dir']),
  MEDIA_MOUNT_TABLE: () => readMountTable('/nonexistent/mountinfo'),
  HEALTH_CHECK_FAILED: () => healthOf([{ name: 'marker', type: 'file', path: '/nonexistent/ready', retries: 1, interval: '10ms' }], '1m'),
  // The deadline cuts a command that would run for 30 s (and kills it).
  HEALTH_TIMEOUT: () => healthOf([{ name: 'slow', type: 'command', command: ['sleep', '30'], timeout: '1m' }], '1s'),
  // A key anyone may rewrite, judged as the daemon would when running as root.
  CONFIG_UNSAFE_PERMISSIONS: () =>
    withTempFile('key.pub', keyPem('rsa3072.pub'), (path) => {
      chmodSync(path, 0o666);
      return assertRootOnly([{ what: 'the signature key', path }], { uid: 0 });
    }),
  // The reboot command fails: the install is rolled back before any reboot.
  REBOOT_FAILED: () => recorded({ faults: [{ state: 'ArtifactReboot', effect: 'reboot', kind: 'error' }] }),
  ROLLBACK_FAILED: () => recorded({ faults: [{ state: 'ArtifactReboot', effect: 'reboot', kind: 'error' }, { state: 'ArtifactRollback', effect: 'rollback', kind: 'error' }] }),
  COMMIT_FAILED: () => recorded({ faults: [{ state: 'ArtifactCommit', effect: 'commit', kind: 'error' }] }),
  // The old image runs while the bootloader still has the new one on trial: facts that fit no case.
  UNEXPECTED_BOOT: () => recorded({}, (r) => {
    r.device.running = 'A';
  }),
  // Reading the boot facts fails with an error that has no code of ours (fw_printenv exits 243).
  STEP_FAILED: () => recorded({ faults: [{ state: 'ArtifactVerifyReboot', effect: 'printenv', kind: 'error' }] }),
  // The daemon's stick handler, told of a USB disk that got no mounted filesystem in time.
  MEDIA_UNREADABLE: async () => {
    const { logger, lines } = recordingLogger();
    const handler = new StickHandler(logger, () => ({}) as LoadedConfig);
    handler.unreadable({ disk: '/sys/block/sdb', device: '/dev/sdb', volumes: [{ device: '/dev/sdb' }] }, 'no-filesystem', '/dev/sdb has no partition table and no filesystem');
    await new Promise((resolve) => setImmediate(resolve));
    const code = lines.find(([level]) => level === 'error')?.[2]['code'];
    throw new UpdaterError(code as ErrorCode, 'the failure line of the disk');
  },
  // The daemon's stick handler, when the pipeline throws something that is not an UpdaterError.
  DIAGNOSTICS_DISABLED: () => refusedRequest({ enabled: false }),
  DIAGNOSTICS_REQUEST_MALFORMED: () => refusedRequest({}, { format: 1 }),
  DIAGNOSTICS_REQUEST_UNSIGNED: () => refusedRequest({ signature: { status: 'missing' } }),
  DIAGNOSTICS_REQUEST_SIGNATURE_INVALID: () => refusedRequest({ verify: () => null }),
  DIAGNOSTICS_REQUEST_EXPIRED: () => refusedRequest({ now: new Date('2026-12-08T00:00:00Z') }),
  DIAGNOSTICS_REQUEST_FOREIGN: () => refusedRequest({ device: { deviceType: 'b', deviceId: null } }),
  INTERNAL: async () => {
    const { logger, lines } = recordingLogger();
    const noReport = (): LoadedConfig => ({ config: { report: { enabled: false, folder: 'usb-updater-reports' } } }) as LoadedConfig;
    const handler = new StickHandler(logger, noReport, () => Promise.reject(new Error('a bug')));
    handler.mounted('sdb#1', { device: '/dev/sdb1', majMin: '8:17', mountPoint: '/m', fsType: 'vfat', removable: true, bus: 'usb', options: ['ro'], disk: '/sys/block/sdb' });
    await handler.idle();
    const code = lines.find(([level]) => level === 'error')?.[2]['code'];
    throw new UpdaterError(code as ErrorCode, 'the failure line of the stick');
  },
};

describe('error codes', () => {
  const rows = tableRows(readDocs().text('src/errors/README.md'), 'Error codes');
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    it(`${code} is documented in src/errors/README.md and produced by its case`, async () => {
      assert.ok(rows.some((row) => row.startsWith(`| \`${code}\` |`)), `no row for ${code} in the error code table`);
      await assert.rejects(CASES[code](), (err: unknown) => {
        assert.ok(err instanceof UpdaterError, String(err));
        assert.equal(err.code, code, err.message);
        return true;
      });
    });
  }
});
