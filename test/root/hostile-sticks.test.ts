// Hostile sticks end to end (issue 8): the daemon runs in the A/B simulator with the real Mender
// client behind it, and is shown one hostile stick after another, each a real ext4 image on a loop
// device, mounted read-only as the mount unit does. For each row: nothing the policy did not accept
// is installed (partition B's hash and the bootloader env stay as they were, or, for the file that
// changes between reads, exactly the checked bytes or nothing), the daemon's record for that stick's
// session names the cause (a reason or error code; the journal and ledger through `status --json`
// when a deployment started), and the daemon, still running, serves the next stick: at the end of
// each device a good stick installs.
//
// One device serves every row that leaves nothing pending (faster); the row that installs and the
// stick swapped during an install get their own ends of a device. The daemon's log format belongs to
// the logging work: only stable messages and fields of its JSON records are read here.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { needsAbDevice, withAbDevice, type AbDevice, type BootProcess } from '../support/simulator/ab-device.js';
import { OUTCOME } from '../../src/daemon/stick-handler.js';
import { Gate, until } from '../support/simulator/client-gate.js';
import { DeviceSticks, imageChecksum, logRecords, sha256Of, type LogRecord, type PluggedStick } from '../support/simulator/device-sticks.js';
import { BIN, KEYS, keyPem, needsTool } from '../support/skip/fixtures.js';
import { sha256 } from '../support/artifacts/forge.js';
import { writeRootfsArtifact } from '../support/simulator/rootfs-image.js';
import { writeSimConfig } from '../support/simulator/sim-config.js';
import { buildTar, readMembers } from '../support/artifacts/tar-tools.js';

const skip = needsAbDevice() || needsTool('debugfs', 'e2fsprogs') || needsTool('mkfifo', 'coreutils');
const TYPE = 'sim-dev';
const MIB = 1024 * 1024;
const MEDIA = '/run/usb-updater/media';
/** The image size of every small artifact here (writeRootfsArtifact's default). */
const IMAGE_MIB = 8;
/** The swapped stick's artifact: 20 MiB of random bytes, so most of it is still unread when pulled. */
const BIG_IMAGE_MIB = 24;

/**
 * Whether a record ends the handling of one stick (by its session): one of the stable outcome
 * messages (src/daemon/stick-handler.ts OUTCOME); the install's own progress lines carry the session too.
 */
const isOutcome = (message: string): boolean => message === OUTCOME.nothing || message.startsWith(`${OUTCOME.failed} `) || message.startsWith(`${OUTCOME.installed} `);
const IGNORED = /^stick ignored/;

interface StatusJson {
  journal: { state: string; artifactName: string; lastError: { code: string; message: string } | null } | null;
  history: { outcome: string; artifactName: string; error: { code: string } | null }[];
}

interface CheckJson {
  candidates: { path: string; verdict: string; reasons: { code: string; message: string }[] }[];
}

/** The daemon in a device, read through its JSON log records. */
class Daemon {
  readonly process: BootProcess;
  private ended = false;

  constructor(device: AbDevice, config: string, env: Record<string, string>) {
    this.process = device.spawn('node', [BIN, 'daemon', '-c', config, '--usb-module', 'usb-detection-not-installed'], { env });
    void this.process.exited.then(() => (this.ended = true), () => (this.ended = true));
  }

  records(): LogRecord[] {
    return logRecords(this.process.output().stderr);
  }

  /** The first record for which `match` holds, once it is logged. */
  async record(what: string, match: (record: LogRecord) => boolean): Promise<LogRecord> {
    let found: LogRecord | undefined;
    await until(`the daemon's record of ${what}`, () => (found = this.records().find(match)) !== undefined, this.process.exited).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${this.process.output().stderr}`, { cause: err });
    });
    return found as LogRecord;
  }

  /** The session of the stick newly mounted at `mountPoint` (not one of `known`). */
  async sessionAt(mountPoint: string, known: readonly string[] = []): Promise<string> {
    const mounted = await this.record(`a stick mounted at ${mountPoint}`, (r) => r.message === 'stick mounted' && (r.stick as { mountPoint?: string } | undefined)?.mountPoint === mountPoint && !known.includes(String(r.session)));
    return String(mounted.session);
  }

  /** The record that ended the handling of `session`. */
  outcome(session: string): Promise<LogRecord> {
    return this.record(`the outcome of session ${session}`, (r) => r.session === session && (isOutcome(r.message ?? '') || IGNORED.test(r.message ?? '')));
  }

  get running(): boolean {
    return !this.ended;
  }

  async stop(): Promise<void> {
    await this.process.kill('SIGTERM');
    const result = await this.process.exited;
    assert.equal(result.code, 0, this.process.output().stderr);
  }
}

/** The candidates of a 'nothing to install' record, relative to the stick: [path, verdict, codes]. */
function verdicts(record: LogRecord, mountPoint: string): [string, string, string][] {
  const candidates = record.candidates as { path: string; verdict: string; reasons: string[] }[];
  return candidates.map((c): [string, string, string] => [c.path.slice(mountPoint.length + 1), c.verdict, c.reasons.join(' ')]).sort();
}

/** An augmented artifact whose unsigned header-augment claims `deviceType` in its header-info. */
async function augmentClaimsDeviceType(input: Buffer, deviceType: string): Promise<Buffer> {
  const members = readMembers(input);
  const augment = members.find((m) => m.name === 'header-augment.tar.gz');
  assert.ok(augment, members.map((m) => m.name).join(' '));
  const entries = readMembers(gunzipSync(augment.data)).map((entry) => {
    if (entry.name !== 'header-info') return entry;
    const info = JSON.parse(entry.data.toString('utf8')) as Record<string, unknown>;
    return { name: entry.name, data: Buffer.from(JSON.stringify({ ...info, artifact_depends: { device_type: [deviceType] } })) };
  });
  const stored = gzipSync(await buildTar(entries));
  // manifest-augment is not signed: whoever forges the section also fixes its checksum there.
  return buildTar(members.map((m) => {
    if (m.name === 'header-augment.tar.gz') return { name: m.name, data: stored };
    if (m.name === 'manifest-augment') return { name: m.name, data: Buffer.from(m.data.toString('utf8').replace(sha256(augment.data), sha256(stored))) };
    return m;
  }));
}

/** `signed` with its header member replaced by `other`'s: a signed manifest that does not match it. */
async function withHeaderOf(signed: Buffer, other: Buffer): Promise<Buffer> {
  const header = readMembers(other).find((m) => m.name === 'header.tar.gz');
  assert.ok(header);
  return buildTar(readMembers(signed).map((m) => (m.name === 'header.tar.gz' ? { name: m.name, data: header.data } : m)));
}

/** The byte offset, in an ext4 image, of the first block of the file at `path` in it. */
function firstBlockOffset(image: string, path: string): { offset: number; blockSize: number } {
  const block = Number(execFileSync('debugfs', ['-R', `bmap ${path} 0`, image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  const header = execFileSync('dumpe2fs', ['-h', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const blockSize = Number(/^Block size:\s+(\d+)/m.exec(header)?.[1]);
  assert.ok(block > 0 && blockSize > 0, `${path} in ${image}: block ${block}, block size ${blockSize}`);
  return { offset: block * blockSize, blockSize };
}

describe('hostile sticks: the daemon in the A/B simulator', { skip }, () => {
  let dir = '';
  let config = '';
  /** The same policy with signature.allow_augmented. */
  let augmentAllowed = '';
  let sticks: DeviceSticks;
  /** Artifacts made once, by name; sticks hold copies or links. */
  const made = {
    outside: '', readTwice: '', other: '', first: '', second: '', augmented: '', augmentClaims: '', mismatched: '', big: '', swappedIn: '',
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-hostile-'));
    sticks = new DeviceSticks(dir);
    const sign = { signKey: `${KEYS}rsa3072.key`, verifyKeyPem: keyPem('rsa3072.pub') };
    const path = (name: string): string => join(dir, 'artifacts', name);
    mkdirSync(join(dir, 'artifacts'));
    mkdirSync(join(dir, 'outside'));
    made.outside = join(dir, 'outside', 'release-2.1.mender');
    Object.assign(made, {
      readTwice: path('release-2.5.mender'), other: path('release-6.6.mender'), first: path('release-2.9.mender'), second: path('release-2.8.mender'),
      augmented: path('release-2.2.mender'), augmentClaims: path('release-2.3.mender'), mismatched: path('release-2.4.mender'),
      big: path('release-3.1.mender'), swappedIn: path('release-3.2.mender'),
    });
    const rootfs = (output: string, name: string, more: object = {}): Promise<void> => writeRootfsArtifact({ output, name, deviceTypes: [TYPE], ...sign, ...more });
    await Promise.all([
      rootfs(made.outside, 'release-2.1'),
      rootfs(made.readTwice, 'release-2.5'),
      rootfs(made.other, 'release-6.6'),
      rootfs(made.first, 'release-2.9'),
      rootfs(made.second, 'release-2.8'),
      rootfs(path('release-2.4-sim.mender'), 'release-2.4'),
      rootfs(path('release-2.4-other.mender'), 'release-2.4', { deviceTypes: ['other-dev'] }),
      rootfs(made.big, 'release-3.1', { imageMiB: BIG_IMAGE_MIB, files: { '/random.bin': randomBytes(20 * MIB) } }),
      rootfs(made.swappedIn, 'release-3.2'),
    ]);
    // The real tool's augment section: its type-info depends on another device type. The signature
    // covers the manifest only, so nothing vouches for it.
    writeFileSync(join(dir, 'payload'), 'payload\n');
    writeFileSync(join(dir, 'augment'), 'augment\n');
    execFileSync('mender-artifact', [
      'write', 'module-image', '-T', 'rootfs-image', '-n', 'release-2.2', '-t', TYPE, '-f', join(dir, 'payload'),
      '--augment-type', 'rootfs-image', '--augment-file', join(dir, 'augment'), '--augment-depends', 'device_type:other-dev',
      '-k', `${KEYS}rsa3072.key`, '-o', made.augmented,
    ]);
    writeFileSync(made.augmentClaims, await augmentClaimsDeviceType(readFileSync(made.augmented), 'other-dev'));
    // Signed for other-dev; the header claims sim-dev (from the same release built for sim-dev).
    writeFileSync(made.mismatched, await withHeaderOf(readFileSync(path('release-2.4-other.mender')), readFileSync(path('release-2.4-sim.mender'))));
    config = join(dir, 'config.yaml');
    writeSimConfig(config, { mediaRoot: MEDIA });
    // Search every level the policy allows (search.max_depth, 2 by default), so depth is what bounds it.
    writeFileSync(config, `${readFileSync(config, 'utf8')}search:\n  paths: ['**/*.mender']\n`);
    augmentAllowed = join(dir, 'augment-allowed.yaml');
    writeFileSync(augmentAllowed, readFileSync(config, 'utf8').replace(/^signature:\n/m, 'signature:\n  allow_augmented: true\n'));
  });

  after(async () => {
    // The devices' boots, and with them every mount of these sticks, are gone by now.
    try {
      await sticks.detach();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A stick folder under dir/<name>, filled by `fill`; returns its image. */
  const stickOf = (name: string, fill: (folder: string) => void, sizeMiB = 16, mkfsArgs: readonly string[] = []): string => {
    const folder = join(dir, name);
    mkdirSync(folder);
    fill(folder);
    return sticks.imageOf(folder, sizeMiB, mkfsArgs);
  };

  const status = async (device: AbDevice): Promise<StatusJson> => {
    const result = await device.run('node', [BIN, 'status', '--json', '-c', config]);
    assert.equal(result.code, 0, result.output);
    return JSON.parse(result.stdout) as StatusJson;
  };

  /** What `usb-updater check` says of the one candidate on the stick at `mountPoint`. */
  const checkReasons = async (device: AbDevice, mountPoint: string, configFile = config): Promise<string[]> => {
    const result = await device.run('node', [BIN, 'check', '--json', '-c', configFile, mountPoint]);
    assert.equal(result.code, 3, result.output);
    const candidates = (JSON.parse(result.stdout) as CheckJson).candidates;
    assert.equal(candidates.length, 1, result.stdout);
    return candidates[0]?.reasons.map((r) => `${r.code}: ${r.message}`) ?? [];
  };

  const assertNothingWritten = async (device: AbDevice, partitionB: string): Promise<void> => {
    assert.equal(await device.partitionSha256('B'), partitionB);
    const env = await device.env();
    assert.equal(env.upgrade_available, '0');
    assert.equal(env.mender_boot_part, '2');
  };

  /** A hostile stick and what the daemon's record of it must say. */
  interface Row {
    /** Names its stick's mount point. */
    id: string;
    name: string;
    stick: () => string;
    expect: (record: LogRecord, mountPoint: string, device: AbDevice) => Promise<void> | void;
  }

  const rows: Row[] = [
    {
      id: 'symlinks',
      name: 'links named *.mender to a valid artifact outside the stick, and a linked folder: skipped as SYMLINK, never followed',
      stick: () => stickOf('symlinks', (folder) => {
        symlinkSync(made.outside, join(folder, 'release-2.1.mender'));
        symlinkSync(`../../../../../../../..${made.outside}`, join(folder, 'relative.mender'));
        symlinkSync(join(dir, 'outside'), join(folder, 'updates'));
      }),
      expect: (record, mountPoint) => {
        assert.equal(record.message, OUTCOME.nothing);
        assert.deepEqual(verdicts(record, mountPoint), [['relative.mender', 'skip', 'SYMLINK'], ['release-2.1.mender', 'skip', 'SYMLINK']]);
      },
    },
    {
      id: 'nodes',
      name: 'a FIFO and device nodes named *.mender: skipped as NOT_REGULAR_FILE, the search does not block on the FIFO',
      stick: () => stickOf('nodes', (folder) => {
        execFileSync('mkfifo', [join(folder, 'x.mender')]);
        execFileSync('mknod', [join(folder, 'y.mender'), 'c', '1', '3']);
        // The numbers of a loop device: what a stick could hand a reader that opens anything.
        execFileSync('mknod', [join(folder, 'z.mender'), 'b', '7', '0']);
      }),
      expect: (record, mountPoint) => {
        assert.equal(record.message, OUTCOME.nothing);
        assert.deepEqual(verdicts(record, mountPoint), ['x', 'y', 'z'].map((n) => [`${n}.mender`, 'skip', 'NOT_REGULAR_FILE']));
      },
    },
    {
      // A folder named with invalid UTF-8 used to end the whole search as MEDIA_GONE (src/media/scan.ts).
      id: 'names',
      name: 'names with control characters or invalid UTF-8, files and a folder: skipped as BAD_NAME',
      stick: () => stickOf('names', (folder) => {
        copyFileSync(made.outside, join(folder, 'bad\nname.mender'));
        copyFileSync(made.outside, join(folder, '\u001b[2Jclear.mender'));
        const invalid = (name: string): Buffer => Buffer.concat([Buffer.from(`${folder}/`), Buffer.from([0xff, 0xfe]), Buffer.from(name)]);
        copyFileSync(made.outside, invalid('.mender'));
        mkdirSync(invalid(''));
        copyFileSync(made.outside, Buffer.concat([invalid(''), Buffer.from('/release-2.1.mender')]));
      }),
      expect: (record, mountPoint) => {
        assert.equal(record.message, OUTCOME.nothing);
        assert.deepEqual(verdicts(record, mountPoint), [
          ['\u001b[2Jclear.mender', 'skip', 'BAD_NAME'],
          ['bad\nname.mender', 'skip', 'BAD_NAME'],
          ['\ufffd\ufffd', 'skip', 'BAD_NAME'],
          ['\ufffd\ufffd.mender', 'skip', 'BAD_NAME'],
        ]);
      },
    },
    {
      id: 'many',
      name: '100,000 files beside a valid artifact: MEDIA_TOO_MANY_ENTRIES, the stick is not half-searched',
      stick: () => sticks.filledImage('many', 256, 120_000, [
        'cp "$ARTIFACT" a.mender',
        // Why a hard link is safe: it cannot name a file outside its own filesystem (EXDEV).
        'ln "$ARTIFACT" outside.mender 2>&1 | grep -q "cross-device"',
        'test ! -e outside.mender',
        'seq 0 99999 | sed "s/.*/photo-&.jpg/" | xargs touch',
        'test "$(ls | wc -l)" = 100002',
      ].join('\n'), { ARTIFACT: made.outside }),
      expect: (record) => {
        assert.equal(record.message, `${OUTCOME.failed} MEDIA_TOO_MANY_ENTRIES`);
        assert.equal(record.stage, 'stick');
        assert.equal(record.code, 'MEDIA_TOO_MANY_ENTRIES');
      },
    },
    {
      id: 'deep',
      name: 'a tree 1,000 levels deep with artifacts past search.max_depth: nothing found, nothing installed',
      stick: () => stickOf('deep', (folder) => {
        mkdirSync(join(folder, 'a/b/c'), { recursive: true });
        copyFileSync(made.outside, join(folder, 'a/b/c/release-2.1.mender'));
        const bottom = join(folder, ...Array.from({ length: 1000 }, () => 'd'));
        mkdirSync(bottom, { recursive: true });
        copyFileSync(made.outside, join(bottom, 'release-2.1.mender'));
      }),
      expect: (record, mountPoint) => {
        assert.equal(record.message, OUTCOME.nothing);
        assert.deepEqual(verdicts(record, mountPoint), []);
      },
    },
    {
      id: 'augmented',
      name: 'an augment section (written by mender-artifact) that depends on another device type: AUGMENTED_FIELDS, and DEPENDS_CONFLICT where augments are allowed',
      stick: () => stickOf('augmented', (folder) => copyFileSync(made.augmented, join(folder, 'release-2.2.mender'))),
      expect: async (record, mountPoint, device) => {
        assert.equal(record.message, OUTCOME.nothing);
        const [[path, verdict, codes]] = verdicts(record, mountPoint) as [[string, string, string]];
        assert.deepEqual([path, verdict], ['release-2.2.mender', 'reject']);
        assert.ok(codes.split(' ').includes('AUGMENTED_FIELDS'), codes);
        assert.ok((await checkReasons(device, mountPoint)).some((r) => /^AUGMENTED_FIELDS: .*payload 0 depends device_type/.test(r)));
        // Even where augmented fields are allowed, the claim is refused, as the client refuses it.
        const allowed = await checkReasons(device, mountPoint, augmentAllowed);
        assert.ok(!allowed.some((r) => r.startsWith('AUGMENTED_FIELDS')), allowed.join('\n'));
        assert.ok(allowed.some((r) => r.startsWith('DEPENDS_CONFLICT: payload 0 (rootfs-image) and the header both depend on device_type')), allowed.join('\n'));
      },
    },
    {
      id: 'augment-claims',
      name: 'an augment section whose header-info claims another device type: INVALID_ARTIFACT (ARTIFACT_BAD_HEADER)',
      stick: () => stickOf('augment-claims', (folder) => copyFileSync(made.augmentClaims, join(folder, 'release-2.3.mender'))),
      expect: async (record, mountPoint, device) => {
        assert.equal(record.message, OUTCOME.nothing);
        assert.deepEqual(verdicts(record, mountPoint), [['release-2.3.mender', 'reject', 'INVALID_ARTIFACT']]);
        assert.match((await checkReasons(device, mountPoint)).join('\n'), /^INVALID_ARTIFACT: ARTIFACT_BAD_HEADER: header-augment\.tar\.gz: /);
      },
    },
    {
      id: 'mismatched',
      name: 'a signed manifest with a header that does not match it: INVALID_ARTIFACT (ARTIFACT_CHECKSUM_MISMATCH)',
      stick: () => stickOf('mismatched', (folder) => copyFileSync(made.mismatched, join(folder, 'release-2.4.mender'))),
      expect: async (record, mountPoint, device) => {
        assert.equal(record.message, OUTCOME.nothing);
        assert.deepEqual(verdicts(record, mountPoint), [['release-2.4.mender', 'reject', 'INVALID_ARTIFACT']]);
        assert.match((await checkReasons(device, mountPoint)).join('\n'), /^INVALID_ARTIFACT: ARTIFACT_CHECKSUM_MISMATCH: header\.tar\.gz: /);
      },
    },
  ];

  it('one daemon, one stick after another: each hostile stick leaves nothing installed and a record of why; then two sticks at once', async (t) => {
    await withAbDevice({ deviceType: TYPE, artifactName: 'release-1.0' }, async (device) => {
      const gate = new Gate(dir);
      const daemon = new Daemon(device, config, gate.env);
      try {
        await daemon.record('media being followed', (r) => r.message === 'following media');
        const partitionB = await device.partitionSha256('B');

        for (const row of rows) {
          await t.test(row.name, async () => {
            const mountPoint = `${MEDIA}/${row.id}`;
            const stick = await sticks.plug(device, row.stick(), mountPoint);
            const record = await daemon.outcome(await daemon.sessionAt(mountPoint));
            await row.expect(record, mountPoint, device);
            await assertNothingWritten(device, partitionB);
            assert.ok(daemon.running, 'the daemon still runs');
            await sticks.unplug(device, stick);
          });
        }

        await t.test('a file whose bytes change after its header was read (read it twice): INSTALL_SOURCE_CHANGED, nothing installed', async () => {
          const mountPoint = `${MEDIA}/read-twice`;
          // 4 KiB blocks: the first one then holds the manifest, whose checksums differ between artifacts.
          const image = stickOf('read-twice', (folder) => copyFileSync(made.readTwice, join(folder, 'release-2.5.mender')), 16, ['-b', '4096']);
          const { offset, blockSize } = firstBlockOffset(image, '/release-2.5.mender');
          const changed = readFileSync(made.other).subarray(0, blockSize);
          assert.notDeepEqual(changed, readFileSync(made.readTwice).subarray(0, blockSize));
          // fw_printenv runs alongside the search, and deploy() waits for it before it reads the
          // checked bytes again: held there, once the daemon has chosen the file, its header was read
          // and accepted, the descriptor is open, and nothing was read again yet. (Not the client's
          // `version`: the daemon detects the client once, after its boot check, not per stick.)
          gate.hold('printenv');
          const stick = await sticks.plug(device, image, mountPoint);
          const session = await daemon.sessionAt(mountPoint);
          await gate.reached('printenv', daemon.process.exited);
          await daemon.record('the choice', (r) => r.session === session && r.message === 'chose release-2.5');
          // The stick now answers other bytes for the same file, as a fake USB drive does: another
          // signed artifact's first block, written under the read-only mount, the file's cached pages
          // dropped so the next read goes to the "disk".
          const fd = openSync(image, 'r+');
          try {
            writeSync(fd, changed, 0, changed.length, offset);
          } finally {
            closeSync(fd);
          }
          const drop = await device.run('dd', [`if=${mountPoint}/release-2.5.mender`, 'iflag=nocache', 'count=0', 'status=none']);
          assert.equal(drop.code, 0, drop.output);
          gate.release('printenv');
          const record = await daemon.outcome(session);
          assert.equal(record.message, `${OUTCOME.failed} INSTALL_SOURCE_CHANGED`);
          assert.equal(record.stage, 'install');
          assert.equal(record.code, 'INSTALL_SOURCE_CHANGED');
          assert.equal(record.artifact, 'release-2.5');
          await assertNothingWritten(device, partitionB);
          const parsed = await status(device);
          assert.equal(parsed.journal?.state, 'Failed');
          assert.equal(parsed.journal?.lastError?.code, 'INSTALL_SOURCE_CHANGED');
          assert.deepEqual(parsed.history.map((e) => [e.outcome, e.artifactName, e.error?.code]), [['failed', 'release-2.5', 'INSTALL_SOURCE_CHANGED']]);
          assert.ok(daemon.running, 'the daemon still runs');
          await sticks.unplug(device, stick);
        });

        await t.test('two sticks at once: the first is installed, the second reported and ignored, nothing of it recorded as failed', async () => {
          gate.hold('install');
          const reboot = device.rebootRequested();
          await sticks.plug(device, stickOf('first', (folder) => copyFileSync(made.first, join(folder, 'release-2.9.mender'))), `${MEDIA}/first`);
          const first = await daemon.sessionAt(`${MEDIA}/first`);
          await gate.reached('install', daemon.process.exited);
          await sticks.plug(device, stickOf('second', (folder) => copyFileSync(made.second, join(folder, 'release-2.8.mender'))), `${MEDIA}/second`);
          const ignored = await daemon.outcome(await daemon.sessionAt(`${MEDIA}/second`));
          assert.match(ignored.message ?? '', IGNORED);
          assert.equal(ignored.busyWith, first);
          assert.equal(ignored.mountPoint, `${MEDIA}/second`);
          gate.release('install');
          const installed = await daemon.outcome(first);
          assert.equal(installed.message, `${OUTCOME.installed} release-2.9`);
          assert.equal(installed.artifact, 'release-2.9');
          await reboot;
          assert.equal(await sha256Of(device.loopDevices.B, IMAGE_MIB * MIB), imageChecksum(made.first));
          const env = await device.env();
          assert.equal(env.upgrade_available, '1');
          assert.equal(env.mender_boot_part, '3');
          const parsed = await status(device);
          assert.equal(parsed.journal?.artifactName, 'release-2.9');
          // release-2.8 is not in the ledger: once this update is done, its stick is served again.
          assert.deepEqual(parsed.history.map((e) => [e.outcome, e.artifactName]), [['installed', 'release-2.9'], ['failed', 'release-2.5']]);
        });
      } finally {
        await daemon.stop();
      }
    });
  });

  it('a stick swapped for another during an install: the install fails on the first, nothing of the second is used; the second, a hard link, installs next', async () => {
    await withAbDevice({ deviceType: TYPE, artifactName: 'release-1.0', partitionMiB: 32 }, async (device) => {
      const gate = new Gate(dir);
      const daemon = new Daemon(device, config, gate.env);
      try {
        await daemon.record('media being followed', (r) => r.message === 'following media');
        const mountPoint = `${MEDIA}/swap`;
        const first = stickOf('swap-first', (folder) => copyFileSync(made.big, join(folder, 'release-3.1.mender')), 48);
        // The second stick's artifact is a hard link: the same file under two names on the stick
        // (the hidden one is not a candidate). It is read as the regular file it is.
        const second = stickOf('swap-second', (folder) => {
          mkdirSync(join(folder, '.store'));
          copyFileSync(made.swappedIn, join(folder, '.store', 'release-3.2.mender'));
          linkSync(join(folder, '.store', 'release-3.2.mender'), join(folder, 'release-3.2.mender'));
        });
        gate.hold('install');
        const pulled = await sticks.plug(device, first, mountPoint);
        const session = await daemon.sessionAt(mountPoint);
        await gate.reached('install', daemon.process.exited);
        await sticks.pull(device, pulled);
        // Another stick at the very same place while the first one's install still runs.
        let swapped: PluggedStick = await sticks.plug(device, second, mountPoint);
        const ignored = await daemon.outcome(await daemon.sessionAt(mountPoint, [session]));
        assert.match(ignored.message ?? '', IGNORED);
        gate.release('install');
        const failed = await daemon.outcome(session);
        assert.equal(failed.message, `${OUTCOME.failed} IO_ERROR`);
        assert.equal(failed.stage, 'install');
        assert.equal(failed.artifact, 'release-3.1');
        assert.equal(failed.code, 'IO_ERROR');
        assert.match(String(failed.error), /release-3\.1\.mender: EIO/);
        const env = await device.env();
        assert.equal(env.upgrade_available, '0');
        assert.equal(env.mender_boot_part, '2');
        assert.notEqual(await sha256Of(device.loopDevices.B, IMAGE_MIB * MIB), imageChecksum(made.swappedIn));
        const parsed = await status(device);
        assert.equal(parsed.journal?.state, 'Failed');
        assert.equal(parsed.journal?.artifactName, 'release-3.1');
        assert.deepEqual(parsed.history.map((e) => [e.outcome, e.artifactName, e.error?.code]), [['failed', 'release-3.1', 'IO_ERROR']]);
        assert.ok(daemon.running, 'the daemon still runs');

        // The second stick, plugged in again now that the daemon is free: it installs.
        await sticks.unplug(device, swapped);
        const reboot = device.rebootRequested();
        swapped = await sticks.plug(device, second, `${MEDIA}/again`);
        const installed = await daemon.outcome(await daemon.sessionAt(`${MEDIA}/again`));
        assert.equal(installed.message, `${OUTCOME.installed} release-3.2`);
        assert.equal(installed.artifact, 'release-3.2');
        await reboot;
        assert.equal(await sha256Of(device.loopDevices.B, IMAGE_MIB * MIB), imageChecksum(made.swappedIn));
        assert.deepEqual((await status(device)).history.map((e) => [e.outcome, e.artifactName]), [['installed', 'release-3.2'], ['failed', 'release-3.1']]);
      } finally {
        await daemon.stop();
      }
    });
  });
});
