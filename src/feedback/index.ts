// Public surface of feedback on the device: one call per phase fans out to the LEDs, the hooks and
// the console. phase() returns at once and never throws; close() waits, bounded, for what is left.

import type { Config } from '../policy/index.js';
import type { Logger } from '../log/index.js';
import { consoleChannel } from './console.js';
import { hookChannel } from './hooks.js';
import { ledChannel } from './leds.js';
import type { Phase, PhaseInfo } from './phases.js';
import type { FeedbackSystem } from './ports.js';

export { PHASES, type Phase, type PhaseInfo, type RebootWhen } from './phases.js';
export { DEFAULT_LED_PATTERNS, ledWrites, type LedPattern } from './leds.js';
export { hookEnvironment } from './hooks.js';
export { consoleLine } from './console.js';
export { PROGRESS_INTERVAL_MS } from './progress-gate.js';
export type { FeedbackSystem, HookRun } from './ports.js';

export interface Feedback {
  /** Shows a phase on every channel. Never throws, never waits for a channel. */
  phase(phase: Phase, info?: PhaseInfo): void;
  /** Waits for the channels' writes and hook runs, at most `limitMs` (default 2 s); kills hooks still running then. */
  close(limitMs?: number): Promise<void>;
}

/** Feedback that shows nothing (no config, or tests that do not look at it). */
export const NO_FEEDBACK: Feedback = { phase: () => undefined, close: () => Promise.resolve() };

const CLOSE_LIMIT_MS = 2000;

export function createFeedback(config: Config['feedback'], system: FeedbackSystem, log: Logger): Feedback {
  const leds = ledChannel(config.sysfs_root, config.leds, system, log);
  const hooks = hookChannel(config.hooks, system, log);
  const screen = config.console === null ? null : consoleChannel(config.console.path, system, log);
  let last: Phase | null = null;

  return {
    phase(phase, info = {}) {
      try {
        const fields = {
          deployment: info.deploymentId,
          artifact: info.artifact,
          percent: info.percent,
          reboot: info.reboot,
          code: info.error?.code,
        };
        // One info line per phase; progress within `installing` only at debug.
        if (phase !== last) log.info(`usb-updater: phase ${phase}`, fields);
        else log.debug?.(`usb-updater: phase ${phase}`, fields);
        last = phase;
        leds.show(phase);
        hooks.run(phase, info);
        screen?.show(phase, info);
      } catch (err) {
        // Feedback must never fail an update; the channels catch their own errors, this is a bug net.
        log.error('feedback failed', { phase, error: String(err) });
      }
    },
    async close(limitMs = CLOSE_LIMIT_MS) {
      let timer: { cancel(): void } | undefined;
      const limit = new Promise<void>((resolve) => (timer = system.setTimer(resolve, limitMs)));
      await Promise.race([Promise.all([leds.idle(), hooks.idle(), screen?.idle()]), limit]);
      timer?.cancel();
      // Nothing outlives the feedback: a hook still running now would only hold the process up.
      hooks.stop();
      await hooks.idle();
    },
  };
}
export { buildReport, renderReportJson, reportBaseName, safeDeviceName, REPORT_FORMAT, type DiagnosticsInput, type Report, type ReportCandidate, type ReportDiagnostics, type ReportInput, type ReportOutcome, type ReportReason } from './report.js';
export { asciiSafe, renderReportText } from './report-text.js';
export { GENERIC_HINT, hintFor, hintTable } from './report-hints.js';
export { readReport, READABLE_FORMATS, type ReadReport, type StoredReport } from './report-read.js';
export { OUTCOME_WORDS, outcomeWords, summarizeReports, type DeviceRow, type ReadReportFile, type RefusedFile, type ReportSummary, type RowReason } from './report-summary.js';
export { renderSummaryText } from './summary-text.js';
export { escapeHtml, renderSummaryHtml } from './summary-html.js';
