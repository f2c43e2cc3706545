// The update pipeline: what the daemon runs for each stick and `usb-updater install` by hand. The
// composition of policy, media, state and installer; device facts always come from the device.

import { UpdaterError } from '../errors/index.js';
import { collectCandidates, type StickAudit } from '../media/index.js';
import { decide, type Decision, type DeviceFacts, type LoadedConfig, type MediaFacts } from '../policy/index.js';
import type { JournalRecord } from '../state/index.js';
import type { BootFacts } from '../health/index.js';
import { assertStandalone } from '../system/install/mender-daemon.js';
import { deviceProvides, readDeviceType } from '../system/policy/device-facts.js';
import { readBootFacts } from '../system/health/active-partition.js';
import { realStickFs } from '../system/media/stick-fs.js';
import { deploy, type DeployOutcome } from './deploy.js';
import type { DeviceFactsCache } from './device-facts-cache.js';
import { finishDeps, rebootCommand, withDeploymentLock } from './deployment-deps.js';
import { finishDeployment, type FinishResult } from './finish.js';
import { searchOptions } from './search-options.js';
import { settledLater } from './settled-later.js';

/**
 * What one pass of the pipeline over a stick (or files) ended in. `finished`: an update that needed
 * no reboot was checked, then committed or rolled back, in the same pass.
 */
export type UpdateResult = { kind: 'nothing'; decision: Decision } | { kind: 'deployed'; decision: Decision; outcome: DeployOutcome; finished?: FinishResult };

export interface UpdateRequest {
  paths: readonly string[];
  loaded: LoadedConfig;
  /** The stick's facts for the media rules; null for folders and files given by hand. */
  media: MediaFacts | null;
  /** The stick's identity for the journal and the ledger. */
  stick: StickAudit;
  log: (message: string) => void;
  onProgress?: (bytes: number, total: number | null) => void;
  /** The deployment is in the journal: see DeployRequest. */
  onStarted?: (record: JournalRecord) => void;
  /** The reboot is about to be waited for or requested: see DeployRequest. */
  onRebooting?: () => void;
  /** Told the device's facts, then the decision, as they are known: a later step may still throw. */
  observe?: (learned: { device: DeviceFacts; decision?: Decision }) => void;
  /**
   * Runs once, before the reboot command or the wait of reboot.mode delay (the report on the
   * stick must be written while the stick is surely still in).
   */
  beforeReboot?: () => Promise<void>;
  /** The stop signal the caller received (the daemon's SIGTERM), or null: see DeployDeps.stopping. */
  stopping?: () => NodeJS.Signals | null;
  /** The daemon's facts read once (provides, the client); without it they are read now. */
  facts?: DeviceFactsCache;
}

/**
 * The pipeline the daemon runs for each stick and `install` runs by hand: lock, refuse while a
 * deployment is pending, decide with the device's facts and history, then deploy the one artifact
 * selected, from the very descriptor its header was checked on.
 */
export async function runUpdate(request: UpdateRequest): Promise<UpdateResult> {
  const { config } = request.loaded;
  return withDeploymentLock(config.state.dir, async ({ ledger, journal }) => {
    const { pending } = await journal.resume();
    if (pending) throw new UpdaterError('INSTALL_PENDING_UPDATE', `deployment ${pending.deployment.record.deploymentId} of ${pending.deployment.record.artifactName} is still pending (${pending.deployment.record.state}); run the health check or reboot first`);
    // The Mender daemon (managed mode) drives the same store and bootloader: never beside it.
    await assertStandalone();
    const history = await ledger.read();
    // The device's facts and the stick's search are independent and only read: they run at once
    // (show-provides is a client process, 0.1-0.3 s on a busy device). Their results, and so which
    // error wins, are still taken in the order the checks always had. The client is detected after
    // the decision, as before (only when there is something to install), unless the daemon passes
    // the facts it keeps (`facts`, which knows the client already). Its --version stays there: it is
    // the one point of the CLI's run between the check and the stream, where the fault tests
    // (test/root/install-faults.test.ts) change the stick's file.
    const deviceType = settledLater(readDeviceType(config.device.device_type_file));
    const provides = settledLater(request.facts?.provides() ?? deviceProvides());
    // The bootloader's state for deploy()'s first guard (fw_printenv, a process), read meanwhile too:
    // under the lock nothing of ours changes it, and only a client run by hand could, as it could
    // after any read. Every later read (after the install) is a fresh one.
    let bootFacts: Promise<BootFacts> | null = settledLater(readBootFacts());
    const firstBootFacts = (): Promise<BootFacts> => {
      const facts = bootFacts ?? readBootFacts();
      bootFacts = null;
      return facts;
    };
    const collecting = settledLater(collectCandidates(request.paths, realStickFs, { ...searchOptions(request.loaded), fsType: request.media?.fsType }));
    let device: DeviceFacts;
    try {
      device = { deviceType: await deviceType, provides: await provides, failedArtifacts: history.failedArtifacts() };
      request.observe?.({ device });
    } catch (err) {
      // The search may have opened the stick's files meanwhile: never leave them open.
      const opened = await collecting.catch(() => null);
      await Promise.allSettled([...(opened?.files.values() ?? [])].map((f) => f.artifact.close()));
      throw err;
    }
    const { candidates, files } = await collecting;
    try {
      const decision = decide(candidates, device, config, request.media);
      request.observe?.({ device, decision });
      const chosen = decision.selected === null ? undefined : files.get(decision.selected);
      const read = candidates.find((c) => c.path === decision.selected);
      if (chosen === undefined || read?.status !== 'read') return { kind: 'nothing', decision };
      const { facts } = request;
      const finish = finishDeps(request.loaded, request.log, undefined, facts && (() => facts.client()));
      let announced: Promise<void> | undefined;
      const beforeReboot = (): Promise<void> => (announced ??= request.beforeReboot?.() ?? Promise.resolve());
      const outcome = await deploy(
        {
          file: chosen,
          artifactName: read.info.name,
          manifestSha256: read.info.manifest_sha256,
          stick: request.stick,
          reboot: config.reboot,
          ...(request.onProgress ? { onProgress: request.onProgress } : {}),
          ...(request.onStarted ? { onStarted: request.onStarted } : {}),
          ...(request.onRebooting ? { onRebooting: request.onRebooting } : {}),
        },
        {
          client: await finish.client(),
          journal,
          readBootFacts: firstBootFacts,
          reboot: async () => {
            await beforeReboot();
            return rebootCommand(config, request.stopping)();
          },
          ...(request.stopping ? { stopping: request.stopping } : {}),
          // deploy() sleeps only for reboot.mode delay.
          sleep: async (ms) => {
            await beforeReboot();
            await new Promise((resolve) => setTimeout(resolve, ms));
          },
          log: request.log,
        },
      );
      // An update module that needs no reboot: its health check, commit or rollback, now.
      if (outcome.status === 'installed' && outcome.journal.state === 'ArtifactVerifyReboot') {
        return { kind: 'deployed', decision, outcome, finished: await finishDeployment(outcome.deployment, finish) };
      }
      return { kind: 'deployed', decision, outcome };
    } finally {
      await Promise.allSettled([...files.values()].map((f) => f.artifact.close()));
    }
  }, request.log);
}
