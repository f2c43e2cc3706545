// A whole deployment on the device model (device-model.ts), driven by the real code: deploy() for
// the install and its reboot, recoverAtStartup() at every later start. Every side effect goes
// through one point where a test can cut the power or kill the process (before or after it), or
// make it fail or hang (the step then ends the way its bound ends it in production: the client's
// exit 1 or timeout, the health deadline, the reboot command's timeout). Used by the runner's tests
// (test/unit/install/finish.test.ts) and the fault matrix (fault-matrix.test.ts).

import assert from 'node:assert/strict';
import { UpdaterError } from '../../../src/errors/index.js';
import { deploy, recoverAtStartup, type FinishDeps, type MenderClient, type RebootVerdict, type StartupResult } from '../../../src/install/index.js';
import { Journal, Ledger, isTerminal, type HealthSummary, type State, type StateStore } from '../../../src/state/index.js';
import { DeviceModel, PART_NUMBER } from './device-model.js';
import { checkedFile } from './checked-file.js';
import { artifact } from '../skip/fixtures.js';
import { memoryStore, testDeps, type MemoryStore } from './state-stores.js';

/** The process ends here: a power cut, a kill, or the reboot it asked for. */
export class Stop extends Error {}

/** The side effects, by the name the rig records them under. `printenv`: reading the boot facts. */
export type Effect = 'install' | 'reboot' | 'checks' | 'commit' | 'rollback' | 'printenv';

export interface Cut {
  /** Index of the side effect around which the cut happens (printenv not counted). */
  at: number;
  when: 'before' | 'after';
  /** power: the machine reboots; kill: the process restarts on the same boot. */
  kind: 'power' | 'kill';
}

/**
 * A fault at `effect` while the journal is in `state`, the first time only (the next start finds the
 * step working again). error: the command fails (client exit 1, check exit 1, reboot command exit 1,
 * fw_printenv failing); hang: it never answers until its bound ends it; kill/power: the process
 * dies there (a power cut also reboots), before or after the effect.
 */
export interface StateFault {
  state: State;
  effect: Effect;
  kind: 'error' | 'hang' | 'kill-before' | 'kill-after' | 'power-before' | 'power-after';
}

export const PASSED: HealthSummary = { passed: true, durationMs: 10, deadlineExceeded: false, results: [{ name: 'app', type: 'command', required: true, passed: true, attempts: 1, durationMs: 10, message: 'exited 0' }], warnings: [] };
export const FAILED: HealthSummary = { passed: false, durationMs: 10, deadlineExceeded: false, results: [{ name: 'app', type: 'command', required: true, passed: false, attempts: 3, durationMs: 10, message: '/usr/bin/app exited 1' }], warnings: [] };
/** What the runner gets when a check hangs: health.deadline ends it. */
export const TIMED_OUT: HealthSummary = { passed: false, durationMs: 2000, deadlineExceeded: true, results: [{ name: 'app', type: 'command', required: true, passed: false, attempts: 1, durationMs: 2000, message: 'still running at the health deadline' }], warnings: [] };

export interface Rig {
  device: DeviceModel;
  store: MemoryStore;
  journal(): Journal;
  deps: FinishDeps;
  calls: string[];
  logs: string[];
  /** The faults that struck, as `STATE EFFECT KIND`. */
  struck: string[];
  /** The install (deploy()) and its reboot; ends in Stop when the reboot happens (or a cut). */
  install(): Promise<void>;
}

export interface RigOptions {
  healthy?: boolean | (() => HealthSummary);
  cut?: Cut | null;
  faults?: readonly StateFault[];
  rebootAllowed?: boolean;
  bootlimit?: number;
  /** The wall clock of every process (default: one second later at each call). */
  now?: () => string;
  /** The store the processes write through instead of the in-memory `store`: a file store with faults, say. */
  processStore?: StateStore;
}

const BYTES = artifact('rootfs-gzip-rsa.mender');

/** The artifact as the stick scan hands it to deploy(). */
/** The state a journal text holds, for faults that strike in one state. */
function stateIn(text: string): string | null {
  try {
    return (JSON.parse(text) as { state?: string }).state ?? null;
  } catch {
    return null;
  }
}

/** A device with its state store, and FinishDeps whose every side effect goes through `act`. */
export function rig(options: RigOptions = {}): Rig {
  const device = new DeviceModel(options.bootlimit ?? 3);
  const store = memoryStore();
  const calls: string[] = [];
  const logs: string[] = [];
  const struck: string[] = [];
  let actions = 0;
  const cut = options.cut ?? null;
  const pendingFaults = [...(options.faults ?? [])];
  /** The journal's state as last written (faults strike by state). */
  let journalNow: string | null = null;
  // Once cut, the process is gone: no side effect and no write of it happens any more, whatever
  // the code would do next (a catch block included). The next start() brings it back.
  let dead = false;
  const alive = (): void => {
    if (dead) throw new Stop();
  };
  const stop = (power: boolean): never => {
    dead = true;
    if (power) device.boot();
    throw new Stop();
  };
  /** The fault armed for `effect` in the journal's current state, consumed. */
  const faultAt = (effect: Effect): StateFault['kind'] | null => {
    const state = journalNow;
    const index = pendingFaults.findIndex((f) => f.effect === effect && f.state === state);
    if (index < 0) return null;
    const fault = pendingFaults.splice(index, 1)[0];
    if (fault === undefined) return null;
    struck.push(`${fault.state} ${fault.effect} ${fault.kind}`);
    return fault.kind;
  };
  /**
   * Runs `effect` unless a fault says otherwise: `failed(kind)` gives what the caller sees when it
   * fails or hangs (the device is left as it was: the command did nothing, or was killed first).
   */
  const act = <T>(name: Effect, effect: () => T, failed: (kind: 'error' | 'hang') => T): T => {
    alive();
    const fault = faultAt(name);
    if (fault === 'kill-before' || fault === 'power-before') stop(fault === 'power-before');
    if (fault === 'error' || fault === 'hang') {
      calls.push(`${name} (${fault})`);
      return failed(fault);
    }
    const counted = name !== 'printenv';
    const index = counted ? actions++ : -1;
    if (cut?.at === index && cut.when === 'before') stop(cut.kind === 'power');
    if (counted) calls.push(name);
    const result = effect();
    if (cut?.at === index && cut.when === 'after') stop(cut.kind === 'power');
    if (fault === 'kill-after' || fault === 'power-after') stop(fault === 'power-after');
    return result;
  };
  const verbFailed = (verb: string) => (kind: 'error' | 'hang') => (kind === 'error' ? { code: 1, output: `gate: mender ${verb} made to fail` } : { code: null, output: `mender ${verb} timed out` });
  const health = options.healthy ?? true;
  const client: MenderClient = {
    command: 'mender',
    version: '3.4.0',
    install: async (input) => {
      for await (const chunk of input) void chunk;
      return act(
        'install',
        () => {
          device.install();
          return { rebootRequired: true, output: '' };
        },
        (kind) => {
          // The install has no timeout: a hung client ends when its input does (the stick pulled).
          throw new UpdaterError('INSTALL_FAILED', kind === 'error' ? 'mender install exited 1' : 'mender install ended: its input went away');
        },
      );
    },
    commit: () => Promise.resolve(act('commit', () => ({ code: device.commit(), output: '' }), verbFailed('commit'))),
    rollback: () => Promise.resolve(act('rollback', () => ({ code: device.rollback(), output: '' }), verbFailed('rollback'))),
    showArtifact: () => Promise.resolve('release-1'),
  };
  const rebootFailed = (kind: 'error' | 'hang'): never => {
    throw new Error(kind === 'error' ? 'systemctl reboot exited 1' : 'systemctl reboot timed out');
  };
  const readBootFacts: FinishDeps['readBootFacts'] = () =>
    Promise.resolve(
      act('printenv', () => ({ env: device.env(), root: PART_NUMBER[device.running] }), (kind) => {
        throw new Error(kind === 'error' ? 'fw_printenv exited 243' : 'fw_printenv timed out');
      }),
    );
  const deps: FinishDeps = {
    client: () => Promise.resolve(client),
    readBootFacts,
    checkHealth: () =>
      Promise.resolve(
        act(
          'checks',
          () => {
            const summary = typeof health === 'function' ? health() : health ? PASSED : FAILED;
            if (summary.passed) device.checkedGood = true;
            return summary;
          },
          (kind) => (kind === 'error' ? FAILED : TIMED_OUT),
        ),
      ),
    // The reboot is asked for; the process runs on until the boot ends (run() ends it).
    reboot: options.rebootAllowed === false ? null : () => Promise.resolve(act('reboot', () => undefined, rebootFailed)),
    log: (message) => logs.push(message),
  };
  const inner = options.processStore ?? store;
  const processStore: StateStore = {
    read: (file) => inner.read(file),
    replace: async (file, data) => {
      alive();
      await inner.replace(file, data);
      if (file === 'journal.json') journalNow = stateIn(data);
    },
    append: (file, data) => Promise.resolve(alive()).then(() => inner.append(file, data)),
    setAside: (file) => Promise.resolve(alive()).then(() => inner.setAside(file)),
  };
  /** The state as a new process finds it: a new start after a cut. */
  const journal = (): Journal => {
    dead = false;
    const state = { ...testDeps(processStore, device.bootId), ...(options.now === undefined ? {} : { now: options.now }) };
    return new Journal(state, new Ledger(state));
  };
  const install = async (): Promise<void> => {
    await deploy(
      { ...(await checkedFile(BYTES, 'r.mender')), artifactName: 'release-2.0', stick: {}, reboot: { mode: 'immediate', delay: 0 } },
      {
        client,
        journal: journal(),
        readBootFacts,
        // The install's reboot ends the process: the machine restarts into the new partition.
        reboot: () =>
          Promise.resolve(
            act(
              'reboot',
              (): RebootVerdict => {
                device.boot();
                dead = true;
                throw new Stop();
              },
              (kind): RebootVerdict => ({ status: 'failed', reason: kind === 'error' ? 'systemctl reboot exited 1' : 'systemctl reboot did not return within reboot.timeout' }),
            ),
          ),
        sleep: () => Promise.resolve(),
        log: (message) => logs.push(message),
      },
    );
  };
  return { device, store, journal, deps, calls, logs, struck, install };
}

/** The install and its reboot; the process ends with the reboot (or a cut). */
export async function installAndReboot(r: Rig): Promise<void> {
  try {
    await r.install();
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  }
}

/** Installs, then runs the start-up recovery at every start until the deployment settles. */
export async function run(r: Rig, options: { install?: boolean } = {}): Promise<{ state: State; results: StartupResult[] }> {
  const results: StartupResult[] = [];
  if (options.install !== false) await installAndReboot(r);
  for (let start = 0; start < 40; start += 1) {
    try {
      const result = await recoverAtStartup(r.journal(), r.deps);
      results.push(result);
      if (result.status === 'nothing-pending' || result.status === 'journal-set-aside') break;
      if (result.status === 'awaiting-reboot') {
        // A reboot that someone (the technician, a watchdog) eventually does.
        r.device.boot();
        continue;
      }
      if (isTerminal(result.journal.state)) break;
    } catch (err) {
      if (!(err instanceof Stop)) throw err;
    }
  }
  const read = await r.journal().read();
  assert.equal(read.status, 'ok');
  return { state: read.status === 'ok' ? read.journal.state : 'Failed', results };
}

/** The terminal state must say what the device really runs. */
export function assertConsistent(healthy: boolean, state: State, device: DeviceModel, label: string): void {
  assert.ok(isTerminal(state), `${label}: ended in ${state}`);
  assert.equal(device.clientPending, false, `${label}: the client still has an update pending`);
  assert.equal(device.upgradeAvailable, false, `${label}: upgrade_available still set`);
  if (state === 'Committed') {
    assert.ok(healthy && device.checkedGood, `${label}: committed without a passing check`);
    assert.equal(device.running, 'B', label);
    assert.equal(device.bootPart, 'B', label);
  } else {
    assert.equal(device.bootPart, 'A', `${label}: ${state} but the bootloader boots the new image`);
  }
}

/** The ledger's outcomes, newest last: `installed`, `rolled-back checks-failed`… */
export async function ledgerOf(store: StateStore): Promise<string[]> {
  return (await new Ledger(testDeps(store)).read()).entries.map((e) => `${e.outcome} ${e.cause ?? ''}`.trim());
}
