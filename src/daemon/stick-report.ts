// The daemon's report on a stick it handled: what it learned (device facts, decision, outcome) made
// into the report model and written back to the stick it came from. Composition only: the model is
// src/feedback's, the writing src/system's. A report never changes the outcome of a stick.

import { buildReport, type DiagnosticsInput, type ReportOutcome } from '../feedback/index.js';
import type { StickAudit, StickIdentity } from '../media/index.js';
import type { Config, Decision, DeviceFacts } from '../policy/index.js';
import { readMachineIdentity } from '../system/report/machine-identity.js';
import { realStickReportSystem, writeReportToStick } from '../system/report/report-writer.js';
import type { Logger } from '../log/index.js';

/** What the stick handler knows when a stick's outcome is known. */
export interface HandledStick {
  stick: StickIdentity;
  /** The identity as the journal records it. */
  audit: StickAudit;
  device: DeviceFacts | null;
  decision: Decision | null;
  outcome: ReportOutcome;
  /** The artifact installed, for `installed` (pending its health check) and `committed`. */
  installed?: string;
  reboot?: 'now' | 'on-removal' | 'by-hand';
  error?: { code: string; message: string };
  /** What came of a diagnostics request on the stick, when it carried one. */
  diagnostics?: DiagnosticsInput;
}

/** Writes the report for a handled stick; injected into the stick handler so tests can record it. */
export type StickReporter = (handled: HandledStick, settings: Config['report'], logger: Logger) => Promise<unknown>;

export const writeStickReport: StickReporter = async (handled, settings, logger) => {
  const before = handled.device?.provides['artifact_name'] ?? handled.decision?.running.artifactName ?? null;
  const report = buildReport({
    at: new Date(),
    device: { ...(await readMachineIdentity()), deviceType: handled.device?.deviceType ?? null },
    stick: handled.audit,
    mountPoint: handled.stick.mountPoint,
    outcome: handled.outcome,
    artifactBefore: before,
    artifactAfter: handled.outcome === 'installed' || handled.outcome === 'committed' ? (handled.installed ?? null) : before,
    reboot: handled.reboot ?? null,
    decision: handled.decision,
    error: handled.error ?? null,
    diagnostics: handled.diagnostics ?? null,
  });
  // MAJ:MIN, not the device name: what the kernel says is mounted there must be this very stick.
  return writeReportToStick(handled.stick.mountPoint, handled.stick.majMin, report, realStickReportSystem, logger, { folder: settings.folder });
};
