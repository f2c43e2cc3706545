// What the daemon does with a mounted stick: one at a time through the install pipeline, with the
// stick's identity as media facts and audit record; a stick that arrives while another is being
// handled is reported and ignored; another partition of the same stick is searched after it. Each
// phase is shown on the device (src/feedback) and every outcome is one log line with a stable message
// (OUTCOME below, listed in src/cli/README.md). A USB disk the device cannot read is shown as a failure.

import { errorCodeOf } from '../errors/index.js';
import { NO_FEEDBACK, type DiagnosticsInput, type Feedback, type PhaseInfo } from '../feedback/index.js';
import type { DeployOutcome, StartupResult } from '../install/index.js';
import type { JournalRecord } from '../state/index.js';
import { auditIdentity, isSameStick, mediaFacts, type StickAudit, type StickIdentity, type UnreadableReason, type UsbDiskFacts } from '../media/index.js';
import type { Decision, DeviceFacts, LoadedConfig } from '../policy/index.js';
import type { Logger } from '../log/index.js';
import { DeviceFactsCache, runUpdate } from '../install/index.js';
import { handleDiagnostics, type DiagnosticsRunner } from './diagnostics.js';
import { writeStickReport, type HandledStick, type StickReporter } from './stick-report.js';

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The stable messages an integrator can grep for, one per outcome (the artifact or code follows). */
export const OUTCOME = {
  installed: 'usb-updater: installed',
  nothing: 'usb-updater: nothing to install',
  failed: 'usb-updater: failed',
} as const;

/** Percent of the bytes streamed, never 100: the last percent is the client's own work. */
export const installPercent = (bytes: number, total: number | null): number | undefined => (total ? Math.min(99, Math.floor((bytes / total) * 100)) : undefined);

export class StickHandler {
  private busy: string | null = null;
  /** Partitions of the busy session handled or waiting their turn. */
  private inFlight = 0;
  /** Whether the busy session's passes so far all found nothing to install (the next partition may then have it). */
  private sessionFoundNothing = true;
  private current: Promise<void> = Promise.resolve();
  /** Work that must end before any stick is handled (the boot-time check of a pending deployment). */
  private ready: Promise<void> = Promise.resolve();
  /** The boot-time check's outcome, for the report on the stick the update came from (issue 7). */
  private bootOutcome: { journal: JournalRecord; outcome: 'committed' | 'rolled-back' | 'failed' } | null = null;
  /** Installs waiting for their stick to be pulled out before the reboot (reboot.mode on-removal). */
  private readonly rebootOnRemoval = new Map<string, () => Promise<DeployOutcome>>();
  /** The stop signal the daemon received (systemd stopping it, at a shutdown or by hand), once it has. */
  private stopSignal: NodeJS.Signals | null = null;
  /** The device's provides and client, read once for every stick (src/install/device-facts-cache.ts). */
  readonly facts = new DeviceFactsCache();

  constructor(
    private readonly logger: Logger,
    private readonly config: () => LoadedConfig,
    /** The pipeline; injected so tests can hold a stick in it. */
    private readonly update: typeof runUpdate = runUpdate,
    /** What the technician sees; the current one, as the config may change. */
    private readonly feedback: () => Feedback = () => NO_FEEDBACK,
    /** Writes the report back to the stick (report.enabled); injected so tests can record it. */
    private readonly reporter: StickReporter = writeStickReport,
    /** Reads a diagnostics request on the stick and writes the bundle (issue 17); injected for tests. */
    private readonly diagnostics: DiagnosticsRunner = handleDiagnostics,
  ) {}

  /**
   * The daemon was told to stop. What is in flight still finishes, but a reboot request or an install
   * that fails from now on was cut short by the stop, not refused (issue 18): nothing is rolled back.
   */
  stopping(signal: NodeJS.Signals): void {
    this.stopSignal ??= signal;
  }

  /**
   * Handles a newly mounted stick, unless another one is being handled. Another partition of the
   * stick being handled (its session) is searched after it, unless that pass found something to do:
   * a stick whose update is on its second partition still installs, and nothing is installed twice.
   */
  mounted(session: string, stick: StickIdentity): void {
    if (this.busy !== null && this.busy !== session) {
      this.logger.warn('stick ignored: another stick is being handled', { session, busyWith: this.busy, mountPoint: stick.mountPoint });
      return;
    }
    let work: Promise<unknown>;
    if (this.busy === null) {
      this.busy = session;
      this.sessionFoundNothing = true;
      this.feedback().phase('stick-seen');
      work = this.handle(session, stick);
    } else {
      this.logger.info('another partition of the stick: searched after the one being handled', { session, mountPoint: stick.mountPoint });
      work = this.current.then(() => {
        if (this.sessionFoundNothing) return this.handle(session, stick);
        this.logger.info('partition not searched: another partition of the stick was handled', { session, mountPoint: stick.mountPoint });
        return undefined;
      });
    }
    this.inFlight += 1;
    this.current = work.then(() => undefined).finally(() => {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.busy = null;
    });
  }

  /**
   * A USB disk none of whose filesystems was mounted as a stick within media.mount_timeout: the
   * failure is shown with MEDIA_UNREADABLE and logged with the disk's USB identity, once the
   * boot-time check is done. Nothing is written: there is nothing mounted to write to. Not shown
   * while another stick is being handled (its phases are the ones the technician follows).
   */
  unreadable(disk: UsbDiskFacts, reason: UnreadableReason, message: string): void {
    void this.ready.then(() => {
      const fields = {
        stage: 'mount', reason, device: disk.device, usb: disk.usb ?? null, partitionTable: disk.partitionTable ?? null,
        volumes: disk.volumes.map((v) => `${v.device}:${v.fsType ?? '-'}`), code: 'MEDIA_UNREADABLE', error: message,
      };
      if (this.busy !== null) {
        this.logger.warn('USB disk without a mounted filesystem; not shown: another stick is being handled', { ...fields, busyWith: this.busy });
        return;
      }
      this.logger.error(`${OUTCOME.failed} MEDIA_UNREADABLE`, fields);
      this.feedback().phase('failure', { error: { code: 'MEDIA_UNREADABLE', message } });
    });
  }

  /** A stick session ended (the last partition unmounted): reboot if its install waits for that. */
  ended(session: string): void {
    const reboot = this.rebootOnRemoval.get(session);
    if (reboot === undefined) return;
    this.rebootOnRemoval.delete(session);
    this.current = this.current.then(async () => {
      try {
        const outcome = await reboot();
        if (outcome.status === 'installed') this.logger.info('stick removed; rebooting', { session, artifact: outcome.journal.artifactName, deployment: outcome.journal.deploymentId });
        else this.failed(session, { code: outcome.error.code, message: outcome.error.message }, outcome.journal, 'reboot on removal (rolled back)');
      } catch (err) {
        this.failed(session, { code: errorCodeOf(err), message: describe(err) }, undefined, 'reboot on removal');
      }
    });
  }

  /** Sticks wait for `work` (which must not reject) before they are handled. */
  first(work: Promise<void>): void {
    this.ready = work;
  }

  /** Keeps the boot-time check's outcome until the stick its update came from is seen (if ever). */
  afterBootCheck(result: StartupResult | null): void {
    if (result?.status === 'committed' || result?.status === 'rolled-back' || result?.status === 'failed') this.bootOutcome = { journal: result.journal, outcome: result.status };
  }

  /** Resolves when the stick being handled, if any, is done. */
  idle(): Promise<void> {
    return this.current;
  }

  private async handle(session: string, stick: StickIdentity): Promise<void> {
    const log = (message: string): void => this.logger.info(message, { session });
    await this.ready;
    const audit = auditIdentity(stick);
    await this.reportBootOutcome(stick, audit);
    const feedback = this.feedback();
    let started: PhaseInfo = {};
    /** The percent the feedback was last told in a progress call; null before the first chunk. */
    let shownPercent: number | undefined | null = null;
    const learned: { device: DeviceFacts | null; decision: Decision | null } = { device: null, decision: null };
    // One report per outcome: written before an immediate reboot, else once the outcome is known.
    // A failure that comes after a report was written (`replace`) writes it again: the stick must
    // say what is true.
    let reported = false;
    let diagnostics: Promise<DiagnosticsInput | null> | undefined;
    const report = async (outcome: Omit<HandledStick, 'stick' | 'audit' | 'device' | 'decision'>, replace = false): Promise<void> => {
      if (reported && !replace) return;
      reported = true;
      // A diagnostics request is taken once the stick's update is done, and never before an
      // immediate reboot: it must not delay the update, and the bundle then shows its outcome. The
      // stick, seen again after the reboot, gets its bundle then.
      const requested = outcome.reboot === 'now' ? null : await (diagnostics ??= this.runDiagnostics(stick, learned.device));
      await this.writeReport({ stick, audit, ...learned, ...outcome, ...(requested ? { diagnostics: requested } : {}) });
    };
    try {
      feedback.phase('checking');
      const result = await this.update({
        paths: [stick.mountPoint],
        loaded: this.config(),
        media: mediaFacts(stick),
        stick: audit,
        log,
        observe: (facts) => {
          learned.device = facts.device;
          learned.decision = facts.decision ?? null;
          // The choice, before the install starts (the bootloader's state is still to be checked).
          const chosen = facts.decision?.candidates.find((c) => c.selected);
          if (chosen !== undefined) log(`chose ${chosen.artifactName ?? chosen.path}`);
        },
        onStarted: (record) => {
          started = { deploymentId: record.deploymentId, artifact: record.artifactName };
          feedback.phase('installing', { ...started, percent: 0 });
        },
        onProgress: (bytes, total) => {
          // Told at the first chunk (the client has its input), then once per percent, not per
          // chunk: every call goes through the logger and the feedback channels while the client
          // waits for the next chunk.
          const percent = installPercent(bytes, total);
          if (percent === shownPercent) return;
          shownPercent = percent;
          feedback.phase('installing', { ...started, ...(percent === undefined ? {} : { percent }) });
        },
        onRebooting: () => feedback.phase('rebooting', { ...started, reboot: 'now' }),
        stopping: () => this.stopSignal,
        facts: this.facts,
        beforeReboot: () => report({ outcome: 'installed', installed: learned.decision?.candidates.find((c) => c.selected)?.artifactName ?? '', reboot: 'now' }),
      });
      if (result.kind !== 'nothing') this.sessionFoundNothing = false;
      if (result.kind === 'nothing') {
        const reasons = result.decision.candidates.map((c) => ({ path: c.path, verdict: c.verdict, reasons: c.reasons.map((r) => r.code) }));
        this.logger.info(OUTCOME.nothing, { session, summary: result.decision.summary, candidates: reasons, mediaReasons: result.decision.mediaReasons.map((r) => r.code) });
        feedback.phase('nothing');
        await report({ outcome: 'nothing' });
      } else if (result.outcome.status === 'installed') {
        const { journal, rebooting, rebootLater } = result.outcome;
        if (rebootLater) this.rebootOnRemoval.set(session, rebootLater);
        this.logger.info(`${OUTCOME.installed} ${journal.artifactName}`, { session, artifact: journal.artifactName, deployment: journal.deploymentId, rebooting, rebootOnRemoval: rebootLater !== undefined });
        const { finished } = result;
        if (finished && finished.status !== 'awaiting-reboot') {
          // An update that needed no reboot was already checked, and kept or undone, in this pass.
          const { lastError } = finished.journal;
          if (finished.status === 'committed') feedback.phase('success', started);
          else this.failed(session, lastError ?? { code: 'HEALTH_CHECK_FAILED', message: `${journal.artifactName} was ${finished.status}` }, finished.journal, 'verify');
          await report({ outcome: finished.status, installed: journal.artifactName, ...(lastError ? { error: lastError } : {}) });
        } else {
          // An immediate or delayed reboot was announced by onRebooting; the others are shown here.
          if (rebootLater) feedback.phase('rebooting', { ...started, reboot: 'on-removal' });
          else if (!rebooting) feedback.phase('rebooting', { ...started, reboot: 'manual' });
          await report({ outcome: 'installed', installed: journal.artifactName, reboot: rebootLater ? 'on-removal' : rebooting ? 'now' : 'by-hand' });
        }
      } else {
        this.failed(session, { code: result.outcome.error.code, message: result.outcome.error.message }, result.outcome.journal);
        // A failed reboot comes after the "installed" report.
        await report({ outcome: 'failed', error: { code: result.outcome.error.code, message: result.outcome.error.message } }, true);
      }
    } catch (err) {
      // The daemon serves the next stick whatever went wrong with this one: log, never crash.
      this.sessionFoundNothing = false;
      const error = { code: errorCodeOf(err), message: describe(err) };
      this.failed(session, error, undefined, 'stick');
      await report({ outcome: 'not-handled', error }, true);
    }
  }

  /**
   * After the health check of the boot that followed an install from this very stick (the same
   * filesystem UUID, or the same USB serial and ids: a device name alone may be another stick now),
   * its outcome is reported on the stick too, once.
   */
  private async reportBootOutcome(stick: StickIdentity, audit: StickAudit): Promise<void> {
    const pending = this.bootOutcome;
    if (pending === null || !isSameStick(pending.journal.stick, audit)) return;
    this.bootOutcome = null;
    const { journal, outcome } = pending;
    await this.writeReport({ stick, audit, device: null, decision: null, outcome, installed: journal.artifactName, ...(journal.lastError && outcome !== 'committed' ? { error: journal.lastError } : {}) });
  }

  /** The diagnostics request on the stick, if any; whatever happens to it is logged, never thrown. */
  private async runDiagnostics(stick: StickIdentity, device: DeviceFacts | null): Promise<DiagnosticsInput | null> {
    try {
      return await this.diagnostics(stick, this.config(), device, this.logger);
    } catch (err) {
      this.logger.error('diagnostics not written', { mountPoint: stick.mountPoint, error: describe(err) });
      return null;
    }
  }

  /** The report on the stick, if enabled; whatever happens to it is logged, never thrown. */
  private async writeReport(handled: HandledStick): Promise<void> {
    try {
      const settings = this.config().config.report;
      if (settings.enabled) await this.reporter(handled, settings, this.logger);
    } catch (err) {
      this.logger.error('report not written to the stick', { mountPoint: handled.stick.mountPoint, error: describe(err) });
    }
  }

  /**
   * The failure line and phase. `stage`: install (the client or the reboot failed), stick (the stick
   * could not be handled: search, lock, pending deployment…), verify (an update that needed no reboot
   * failed its checks and was rolled back), or the reboot once the stick was removed.
   */
  private failed(session: string, error: { code: string; message: string }, journal?: JournalRecord, stage = 'install'): void {
    const fields = { session, stage, artifact: journal?.artifactName, deployment: journal?.deploymentId, code: error.code, error: error.message };
    this.logger.error(`${OUTCOME.failed} ${error.code}`, fields);
    this.feedback().phase('failure', { ...(journal ? { artifact: journal.artifactName, deploymentId: journal.deploymentId } : {}), error });
  }
}
