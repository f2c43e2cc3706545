// Asks the real Mender client (3.4, standalone) whether it would install an artifact on a device
// with given facts. Each call builds a throw-away device in a temp dir, runs `mender install` on it in
// a private mount namespace and removes the device: no mount, process or file outlives the call.
//
// How a device with arbitrary facts is made (all measured with mender-client 3.4.0 on Debian 12):
// - `--data DIR` moves the whole store (LMDB, module work dirs, scripts) into the temp dir, and
//   `<DIR>/device_type` holds `device_type=X`. `--config` and `--fallback-config` point into it too.
// - `/etc/mender/artifact_info` is hard-coded: the `ArtifactInfoFile` setting is ignored. The client
//   reads it only while its store is empty, so every client run happens in `unshare --mount
//   --propagation private` with the device's `etc/` bind-mounted over `/etc/mender`. The mount lives
//   and dies with that one process; this machine's /etc/mender, /var/lib/mender and /data are never
//   touched.
// - The other provides (artifact_group, rootfs-image.version, custom keys) exist only in the store.
//   A bootstrap artifact puts them there: a single-file module image named after artifact_name, with
//   `-g artifact_group`, `-p KEY:VALUE` for every other key and no default provides or clears, is
//   installed and committed, and `mender show-provides` must then print exactly `facts.provides`.
//   (`mender-artifact write bootstrap-artifact` would be the obvious choice, but client 3.4 refuses
//   it: "Artifact reader returned an unknown installer type".)
// - mender.conf names two partitions that do not exist and `false` as the boot-environment tools.
//   Module images do not care; a rootfs-image artifact then gets the client's real device-type and
//   depends checks, and one that passes them fails right after ("No match between boot and root
//   partitions") before a byte is written: see `passedChecks`. No bootloader tool ever runs.
// Without ArtifactVerifyKey the client checks no signature, so signed and unsigned artifacts behave
// alike here. Calls may run concurrently (every device is its own), but not two artifacts that write
// the same file: the single-file module's `cp F DEST.tmp && mv` then races and one install fails.

import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { needsSetUp, needsTool } from '../skip/fixtures.js';
import { runProcess } from '../harness/process.js';
import { writeSingleFileArtifact } from './single-file-artifact.js';

export interface DeviceFacts {
  deviceType: string;
  /** What `mender show-provides` prints: artifact_name (required), artifact_group and any other keys. */
  provides: Readonly<Record<string, string>>;
}

export interface ClientVerdict {
  /** `mender install --reboot-exit-code` exited 0 or 4 (installed; 4: a reboot is needed). */
  accepted: boolean;
  exitCode: number;
  /** Everything the install printed, stdout and stderr interleaved. */
  output: string;
  /** The client's `level=error` messages in order, repeats removed; the last is the most specific. */
  errors: string[];
  /** Why the client refused the artifact before installing anything, when it was one of these. */
  rejectedFor: 'device-type' | 'depends' | null;
  /**
   * The artifact got past the device-type and depends checks: accepted, or failed later, while
   * installing (an update module that fails: "Installation failed: …") or at a payload the simulated
   * device cannot take (a rootfs-image artifact: this device has no partitions, "Download failed: …").
   */
  passedChecks: boolean;
  /** `mender show-provides` after the accepted install was committed; null when not accepted. */
  providesAfter: Record<string, string> | null;
  /** Wall time of the whole call, device set-up and removal included. */
  ms: number;
}

export interface ClientAcceptsOptions {
  /** Kill the client and fail the call after this long (default 30 s). */
  timeoutMs?: number;
}

interface ClientRun {
  code: number;
  output: string;
}

const SINGLE_FILE_MODULE = '/usr/share/mender/modules/v3/single-file';

/** Keys and values must survive `-p KEY:VALUE` and show-provides' `KEY=VALUE` lines unchanged. */
function checkFacts(facts: DeviceFacts): void {
  if (!/^[^\s=]+$/.test(facts.deviceType)) throw new Error(`clientAccepts: unusable device type ${JSON.stringify(facts.deviceType)}`);
  if (!facts.provides.artifact_name) throw new Error('clientAccepts: facts.provides needs an artifact_name');
  for (const [key, value] of Object.entries(facts.provides)) {
    if (!/^[^\s:=]+$/.test(key) || key === 'device_type') throw new Error(`clientAccepts: unusable provides key ${JSON.stringify(key)}`);
    if (value === '' || /[\n\r]/.test(value)) throw new Error(`clientAccepts: unusable value for ${key}: ${JSON.stringify(value)}`);
  }
}

/** Parses show-provides output: one `key=value` line each, split at the first `=`. */
export function parseProvides(text: string): Record<string, string> {
  const provides: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0 && !line.startsWith('time=')) provides[line.slice(0, at)] = line.slice(at + 1);
  }
  return provides;
}

/**
 * Logged by every client run on this partition-less device (see top), whatever the artifact: not
 * part of any verdict.
 */
const STARTUP_NOISE = 'Failed to read the current active partition: ';

/** The `msg` of every `level=error` log line; logrus quotes it Go-style when it has spaces. */
export function clientErrors(output: string): string[] {
  const messages: string[] = [];
  for (const match of output.matchAll(/level=error msg=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    const raw = match[1] ?? '';
    let message = raw;
    if (raw.startsWith('"')) {
      try {
        message = JSON.parse(raw) as string;
      } catch {
        message = raw.slice(1, -1);
      }
    }
    if (!message.startsWith(STARTUP_NOISE) && !messages.includes(message)) messages.push(message);
  }
  return messages;
}

function rejectionOf(errors: readonly string[]): ClientVerdict['rejectedFor'] {
  if (errors.some((e) => /\) not compatible with device /.test(e))) return 'device-type';
  if (errors.some((e) => /^Artifact dependency ".*" not satisfied/.test(e))) return 'depends';
  return null;
}

/**
 * Runs `mender ARGS` against the device in `root`, inside its own mount namespace. `unshare` and `sh`
 * exec into mender, so the one child is the client; its process group is killed on timeout, which
 * also takes any update-module script it started.
 */
async function runClient(root: string, args: readonly string[], timeoutMs: number): Promise<ClientRun> {
  const argv = [
    '--mount', '--propagation', 'private',
    'sh', '-c', 'mount --bind "$0" /etc/mender && exec "$@"', join(root, 'etc'),
    'mender', '--no-syslog', '--log-level', 'info',
    '--config', join(root, 'etc', 'mender.conf'),
    '--fallback-config', join(root, 'etc', 'no-fallback.conf'),
    '--data', join(root, 'data'),
    ...args,
  ];
  const { code, output } = await runProcess('unshare', argv, { timeoutMs, env: { ...process.env, LC_ALL: 'C' } });
  return { code, output };
}

async function expectClean(root: string, args: readonly string[], timeoutMs: number): Promise<ClientRun> {
  const run = await runClient(root, args, timeoutMs);
  if (run.code !== 0) throw new Error(`mender-device: mender ${args.join(' ')} exited ${run.code}\n${run.output}`);
  return run;
}

/** mender.conf: partitions that do not exist and boot-environment tools that only fail (see top). */
function menderConf(root: string): string {
  return `${JSON.stringify({
    RootfsPartA: join(root, 'no-partition-a'),
    RootfsPartB: join(root, 'no-partition-b'),
    BootUtilitiesGetNextActivePart: 'false',
    BootUtilitiesSetActivePart: 'false',
  }, null, 2)}\n`;
}

/** Writes the device's files, then installs and commits the bootstrap artifact that sets its provides. */
async function setUpDevice(root: string, facts: DeviceFacts, timeoutMs: number): Promise<void> {
  const { artifact_name: name = '', artifact_group: group, ...others } = facts.provides;
  for (const dir of ['etc', 'data', 'bootstrap-out']) await mkdir(join(root, dir));
  await writeFile(join(root, 'etc', 'mender.conf'), menderConf(root));
  await writeFile(join(root, 'etc', 'artifact_info'), `artifact_name=${name}\n`);
  await writeFile(join(root, 'data', 'device_type'), `device_type=${facts.deviceType}\n`);
  const bootstrap = join(root, 'bootstrap.mender');
  await writeSingleFileArtifact({
    output: bootstrap,
    name,
    deviceTypes: [facts.deviceType],
    destDir: join(root, 'bootstrap-out'),
    ...(group === undefined ? {} : { group }),
    provides: others,
    // Exactly the facts: no rootfs-image.single-file.version, and no clears list, which makes the
    // client replace every provide it held instead of only the listed ones.
    noDefaults: true,
  });
  await expectClean(root, ['install', bootstrap], timeoutMs);
  await expectClean(root, ['commit'], timeoutMs);
  const reported = parseProvides((await expectClean(root, ['show-provides'], timeoutMs)).output);
  const sorted = (record: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (sorted(reported) !== sorted(facts.provides)) {
    throw new Error(`device set-up: the client reports ${sorted(reported)}, not the facts ${sorted(facts.provides)}`);
  }
}

async function judge(root: string, artifactPath: string, facts: DeviceFacts, timeoutMs: number): Promise<Omit<ClientVerdict, 'ms'>> {
  await setUpDevice(root, facts, timeoutMs);
  const install = await runClient(root, ['install', '--reboot-exit-code', resolve(artifactPath)], timeoutMs);
  const accepted = install.code === 0 || install.code === 4;
  const errors = clientErrors(install.output);
  let providesAfter: Record<string, string> | null = null;
  if (accepted) {
    await expectClean(root, ['commit'], timeoutMs);
    providesAfter = parseProvides((await expectClean(root, ['show-provides'], timeoutMs)).output);
  }
  return {
    accepted,
    exitCode: install.code,
    output: install.output,
    errors,
    rejectedFor: accepted ? null : rejectionOf(errors),
    // The client logs these prefixes only once the header checks have passed.
    passedChecks: accepted || errors.some((e) => /^(Download|Installation) failed: /.test(e)),
    providesAfter,
  };
}

/** Runs the real `mender install` for `artifactPath` on a throw-away simulated device with `facts`. */
export async function clientAccepts(artifactPath: string, facts: DeviceFacts, options: ClientAcceptsOptions = {}): Promise<ClientVerdict> {
  checkFacts(facts);
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), 'mender-device-'));
  let verdict: Omit<ClientVerdict, 'ms'>;
  try {
    verdict = await judge(root, artifactPath, facts, options.timeoutMs ?? 30_000);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return { ...verdict, ms: Math.round(performance.now() - started) };
}

/** What keeps this machine from running the harness, tools aside; null when nothing does. */
function setUpProblem(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (mount namespaces and bind mounts)';
  if (!existsSync('/etc/mender')) return 'needs the directory /etc/mender to bind-mount over (apt-get install mender-client)';
  if (!existsSync(SINGLE_FILE_MODULE)) return `needs the single-file update module at ${SINGLE_FILE_MODULE} (apt-get install mender-client)`;
  if (spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status !== 0) {
    return 'needs permission to create mount namespaces (unshare --mount failed)';
  }
  return null;
}

/** Skip reason when the harness cannot run here (not root, a tool missing…); throws in CI like needsTool. */
export function needsMenderDevice(): string | false {
  const missing = needsTool('mender', 'mender-client') || needsTool('mender-artifact', 'mender-artifact')
    || needsTool('unshare', 'util-linux') || needsTool('mount', 'mount');
  if (missing) return missing;
  return needsSetUp(setUpProblem(), 'mender device harness');
}
