// What the daemon does with a mounted stick: one at a time through the install pipeline, with the
// stick's identity as media facts and audit record; a stick that arrives while another is being
// handled is reported and ignored. Every outcome is one log line with a stable message.

import { isUpdaterError } from '../errors/index.js';
import type { DeployOutcome } from '../install/index.js';
import type { StickIdentity } from '../media/index.js';
import type { Decision, DeviceFacts, LoadedConfig, MediaFacts } from '../policy/index.js';
import type { Logger } from '../system/index.js';
import { runSession } from './install.js';
import { writeStickReport, type HandledStick, type StickReporter } from './stick-report.js';

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function mediaFacts(stick: StickIdentity): MediaFacts {
  return { fsType: stick.fsType, label: stick.label, uuid: stick.uuid, usb: stick.usb };
}

/** The identity recorded in the journal and the ledger: strings only. */
function auditIdentity(stick: StickIdentity): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    device: stick.device,
    mountPoint: stick.mountPoint,
    fsType: stick.fsType,
    label: stick.label,
    uuid: stick.uuid,
    bus: stick.bus,
    vendorId: stick.usb?.vendorId,
    productId: stick.usb?.productId,
    serial: stick.usb?.serial,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}

export class StickHandler {
  private busy: string | null = null;
  private current: Promise<void> = Promise.resolve();
  /** Work that must end before any stick is handled (the boot-time check of a pending deployment). */
  private ready: Promise<void> = Promise.resolve();
  /** Installs waiting for their stick to be pulled out before the reboot (reboot.mode on-removal). */
  private readonly rebootOnRemoval = new Map<string, () => Promise<DeployOutcome>>();

  constructor(
    private readonly logger: Logger,
    private readonly config: () => LoadedConfig,
    /** The pipeline; injected so tests can hold a stick in it. */
    private readonly session: typeof runSession = runSession,
    /** Writes the report back to the stick (report.enabled); injected so tests can record it. */
    private readonly reporter: StickReporter = writeStickReport,
  ) {}

  /** Handles a newly mounted stick, unless another one is being handled. */
  mounted(session: string, stick: StickIdentity): void {
    if (this.busy !== null) {
      this.logger.warn('stick ignored: another stick is being handled', { session, busyWith: this.busy, mountPoint: stick.mountPoint });
      return;
    }
    this.busy = session;
    this.current = this.handle(session, stick).finally(() => {
      this.busy = null;
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
        if (outcome.status === 'installed') this.logger.info('stick removed; rebooting', { session, artifact: outcome.journal.artifactName });
        else this.logger.error('stick removed; the reboot failed and the install was rolled back', { session, code: outcome.error.code, error: outcome.error.message });
      } catch (err) {
        this.logger.error('stick removed; the reboot could not be handled', { session, error: describe(err) });
      }
    });
  }

  /** Sticks wait for `work` (which must not reject) before they are handled. */
  first(work: Promise<void>): void {
    this.ready = work;
  }

  /** Resolves when the stick being handled, if any, is done. */
  idle(): Promise<void> {
    return this.current;
  }

  private async handle(session: string, stick: StickIdentity): Promise<void> {
    const log = (message: string): void => this.logger.info(message, { session });
    await this.ready;
    const learned: { device: DeviceFacts | null; decision: Decision | null } = { device: null, decision: null };
    const audit = auditIdentity(stick);
    // One report per outcome: written before an immediate reboot, else once the outcome is known.
    let reported = false;
    const report = async (outcome: Omit<HandledStick, 'stick' | 'audit' | 'device' | 'decision'>): Promise<void> => {
      if (reported) return;
      reported = true;
      await this.writeReport({ stick, audit, ...learned, ...outcome });
    };
    try {
      const result = await this.session({
        paths: [stick.mountPoint],
        loaded: this.config(),
        media: mediaFacts(stick),
        stick: audit,
        log,
        observe: (facts) => {
          learned.device = facts.device;
          learned.decision = facts.decision ?? null;
        },
        beforeReboot: () => report({ outcome: 'installed', installed: learned.decision?.candidates.find((c) => c.selected)?.artifactName ?? '', reboot: 'now' }),
      });
      if (result.kind === 'nothing') {
        const reasons = result.decision.candidates.map((c) => ({ path: c.path, verdict: c.verdict, reasons: c.reasons.map((r) => r.code) }));
        this.logger.info('nothing to install', { session, summary: result.decision.summary, candidates: reasons, mediaReasons: result.decision.mediaReasons.map((r) => r.code) });
        await report({ outcome: 'nothing' });
      } else if (result.outcome.status === 'installed') {
        const { journal, rebooting, rebootLater } = result.outcome;
        if (rebootLater) this.rebootOnRemoval.set(session, rebootLater);
        this.logger.info('installed', { session, artifact: journal.artifactName, deployment: journal.deploymentId, rebooting, rebootOnRemoval: rebootLater !== undefined });
        const { finished } = result;
        // An update that needed no reboot was already checked, and kept or undone, in this pass.
        if (finished && finished.status !== 'awaiting-reboot') {
          const { lastError } = finished.journal;
          await report({ outcome: finished.status, installed: journal.artifactName, ...(lastError ? { error: lastError } : {}) });
        } else await report({ outcome: 'installed', installed: journal.artifactName, reboot: rebootLater ? 'on-removal' : rebooting ? 'now' : 'by-hand' });
      } else {
        this.logger.error('install failed', { session, artifact: result.outcome.journal.artifactName, code: result.outcome.error.code, error: result.outcome.error.message });
        // A failed reboot comes after the "installed" report: this one must still say what is true.
        reported = false;
        await report({ outcome: 'failed', error: { code: result.outcome.error.code, message: result.outcome.error.message } });
      }
    } catch (err) {
      // The daemon serves the next stick whatever went wrong with this one: log, never crash.
      const code = isUpdaterError(err) ? err.code : 'INTERNAL';
      this.logger.error('stick not handled', { session, code, error: describe(err) });
      reported = false;
      await report({ outcome: 'not-handled', error: { code, message: describe(err) } });
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
}
