// Hook commands: each one runs with the phase in USB_UPDATER_* environment variables, never awaited
// by the update. At most one run per hook at a time; what arrives meanwhile waits in a short queue
// where progress updates replace each other, so a slow hook sees the newest state, never a backlog.

import type { Logger } from '../log/index.js';
import { PHASES, type Phase, type PhaseInfo } from './phases.js';
import { progressGate } from './progress-gate.js';
import type { FeedbackSystem } from './ports.js';

export interface HookConfig {
  command: readonly string[];
  phases?: readonly Phase[] | undefined;
  timeout: number;
}

/** The most phases waiting for one hook: one of each is more than an update ever goes through. */
const MAX_WAITING = PHASES.length;

/** The environment a hook runs with; empty strings for what the phase does not carry. */
export function hookEnvironment(phase: Phase, info: PhaseInfo): Record<string, string> {
  return {
    USB_UPDATER_PHASE: phase,
    USB_UPDATER_ARTIFACT: info.artifact ?? '',
    USB_UPDATER_PROGRESS: info.percent === undefined ? '' : String(info.percent),
    USB_UPDATER_DEPLOYMENT: info.deploymentId ?? '',
    USB_UPDATER_REBOOT: info.reboot ?? '',
    USB_UPDATER_ERROR_CODE: info.error?.code ?? '',
    USB_UPDATER_ERROR: info.error?.message ?? '',
  };
}

class Hook {
  private readonly waiting: { phase: Phase; info: PhaseInfo }[] = [];
  private running: Promise<void> = Promise.resolve();
  /** Set and cleared by drain() itself, so that no phase slips in between its end and its promise's. */
  private busy = false;
  readonly offer: (phase: Phase, info: PhaseInfo) => void;

  constructor(
    private readonly config: HookConfig,
    private readonly system: FeedbackSystem,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {
    this.offer = progressGate(system, (phase, info) => this.enqueue(phase, info));
  }

  wants(phase: Phase): boolean {
    return this.config.phases === undefined || this.config.phases.includes(phase);
  }

  idle(): Promise<void> {
    return this.running;
  }

  private enqueue(phase: Phase, info: PhaseInfo): void {
    if (this.signal.aborted) return;
    const last = this.waiting.at(-1);
    if (last?.phase === phase) last.info = info;
    else this.waiting.push({ phase, info });
    if (this.waiting.length > MAX_WAITING) this.waiting.shift();
    if (!this.busy) this.running = this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (let next = this.waiting.shift(); next !== undefined && !this.signal.aborted; next = this.waiting.shift()) {
        const fields = { hook: this.config.command.join(' '), phase: next.phase };
        const run = await this.system.runHook(this.config.command, hookEnvironment(next.phase, next.info), this.config.timeout, this.signal).catch((err: unknown) => ({ kind: 'not-started' as const, message: String(err) }));
        if (run.kind === 'not-started') this.log.warn('feedback hook could not be started', { ...fields, error: run.message });
        else if (run.kind === 'timed-out') this.log.warn('feedback hook timed out and was killed', { ...fields, timeoutMs: this.config.timeout, stderr: run.stderr });
        else if (run.code !== 0) this.log.warn('feedback hook failed', { ...fields, exitCode: run.code, signal: run.signal, stderr: run.stderr });
      }
    } finally {
      // In the same step as the last empty shift: a phase offered from now on starts a new drain.
      this.busy = false;
    }
  }
}

export interface HookChannel {
  run(phase: Phase, info: PhaseInfo): void;
  /** Resolves once every hook run started or waiting so far is over. */
  idle(): Promise<void>;
  /** Kills the runs still going and drops those waiting; later phases run nothing. */
  stop(): void;
}

export function hookChannel(hooks: readonly HookConfig[], system: FeedbackSystem, log: Logger): HookChannel {
  const stopped = new AbortController();
  const all = hooks.map((config) => new Hook(config, system, log, stopped.signal));
  return {
    run: (phase, info) => all.filter((hook) => hook.wants(phase)).forEach((hook) => hook.offer(phase, info)),
    idle: async () => {
      await Promise.all(all.map((hook) => hook.idle()));
    },
    stop: () => stopped.abort(),
  };
}
