// What a deployment's runner needs from the system, built from the config in one place for the
// install pipeline, the boot-time check and status: the state files (opened here, and only here,
// under the deployment lock), the client, the boot facts, the health checks and the reboot command.

import { randomUUID } from 'node:crypto';
import { detectClient, type ClientIdentity, type MenderClient } from './mender-client.js';
import type { FinishDeps } from './finish.js';
import { judgeReboot, type RebootVerdict } from './reboot-verdict.js';
import type { LoadedConfig } from '../policy/index.js';
import { Journal, Ledger, type HealthSummary, type StateDeps } from '../state/index.js';
import { runHealthChecks } from '../health/index.js';
import { acquireDeploymentLock } from '../system/state/deployment-lock.js';
import { fileStateStore } from '../system/state/state-store.js';
import { monotonicClock } from '../system/health/monotonic-clock.js';
import { readBootFacts } from '../system/health/active-partition.js';
import { readBootId } from '../system/state/boot-id.js';
import { realHealthProbes } from '../system/health/health-probes.js';
import { runCommand } from '../system/os/process.js';
import { runWithFifoInput } from '../system/install/fifo-input.js';
import { requestReboot } from '../system/install/reboot-request.js';

export async function stateDeps(dir: string): Promise<StateDeps> {
  return { store: fileStateStore(dir), now: () => new Date().toISOString(), bootId: await readBootId(), newId: randomUUID };
}

/** The deployment state of a state folder: its journal and the ledger the journal writes to. */
export interface OpenedState {
  deps: StateDeps;
  ledger: Ledger;
  journal: Journal;
}

/** Opens the state of `dir` for reading (status): no lock, nothing is written. */
export async function openState(dir: string): Promise<OpenedState> {
  const deps = await stateDeps(dir);
  const ledger = new Ledger(deps);
  return { deps, ledger, journal: new Journal(deps, ledger) };
}

/** Runs `work` on the state of `dir` under the deployment lock, released whatever happens. */
export async function withDeploymentLock<T>(dir: string, work: (state: OpenedState) => Promise<T>, log?: (message: string) => void): Promise<T> {
  const deps = await stateDeps(dir);
  const lock = await acquireDeploymentLock(dir, { bootId: deps.bootId, now: deps.now() });
  try {
    const ledger = new Ledger(deps, undefined, log);
    return await work({ deps, ledger, journal: new Journal(deps, ledger) });
  } finally {
    await lock.release();
  }
}

/**
 * The reboot command of the config, judged: requested, under way (the system is shutting down,
 * perhaps by this very request: issue 18), or failed while the system keeps running. `stopping`
 * tells of a stop signal the caller received before (the daemon's SIGTERM).
 */
export function rebootCommand(config: LoadedConfig['config'], stopping?: () => NodeJS.Signals | null): () => Promise<RebootVerdict> {
  return async () => judgeReboot(await requestReboot(config.reboot.command, { timeoutMs: config.reboot.timeout, ...(stopping ? { stopping } : {}) }));
}

/** The reboot back into the old image after a failed trial: any outcome but a failure will do. */
function rollbackReboot(config: LoadedConfig['config']): () => Promise<void> {
  const reboot = rebootCommand(config);
  return async () => {
    const verdict = await reboot();
    if (verdict.status === 'failed') throw new Error(verdict.reason);
  };
}

/** The configured health checks, run together under health.deadline. None configured: reaching user space is the check. */
function healthChecker(loaded: LoadedConfig, log: FinishDeps['log']): () => Promise<HealthSummary> {
  const { checks, deadline } = loaded.config.health;
  return () =>
    runHealthChecks(checks, { probes: realHealthProbes(), clock: monotonicClock }, {
      deadlineMs: deadline,
      onResult: (r) => log(`health check ${r.name}: ${r.passed ? 'passed' : 'failed'} after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}: ${r.message}`, { check: r.name, passed: r.passed }),
    });
}

/**
 * What finishing a deployment needs, from the config. The client is detected on first use, once,
 * unless `identify` already knows which it is (the daemon's DeviceFactsCache).
 */
export function finishDeps(loaded: LoadedConfig, log: FinishDeps['log'], onChecking?: FinishDeps['onChecking'], identify?: () => Promise<ClientIdentity>): FinishDeps {
  let client: Promise<MenderClient> | undefined;
  return {
    client: () => (client ??= detectClient(runCommand, runWithFifoInput, { verbTimeoutMs: loaded.config.client.timeout, stallTimeoutMs: loaded.config.client.stall_timeout, fifoParent: loaded.config.state.dir }, identify?.())),
    readBootFacts,
    checkHealth: healthChecker(loaded, log),
    // A rollback reboot is not deferred to a delay or the stick's removal: the image that runs failed.
    reboot: loaded.config.reboot.mode === 'never' ? null : rollbackReboot(loaded.config),
    log,
    ...(onChecking ? { onChecking } : {}),
  };
}

