// Progress reaches a channel at most once per whole percent and at most twice a second; an update
// held back is delivered when its window ends (trailing), so the last percent reached is always
// shown. Any other phase passes at once and drops a held-back update: it is stale by then.

import type { Phase, PhaseInfo } from './phases.js';
import type { FeedbackSystem } from './ports.js';

/** The shortest time between two progress updates on one channel. */
export const PROGRESS_INTERVAL_MS = 500;

export type Deliver = (phase: Phase, info: PhaseInfo) => void;

export function progressGate(system: Pick<FeedbackSystem, 'now' | 'setTimer'>, deliver: Deliver): Deliver {
  let last: { phase: Phase; percent: number | undefined; at: number } | null = null;
  let held: { info: PhaseInfo; timer: { cancel(): void } } | null = null;

  const send = (phase: Phase, info: PhaseInfo): void => {
    last = { phase, percent: info.percent, at: system.now() };
    deliver(phase, info);
  };

  return (phase, info) => {
    const isProgress = phase === 'installing' && last?.phase === 'installing';
    if (!isProgress) {
      held?.timer.cancel();
      held = null;
      send(phase, info);
      return;
    }
    if (info.percent === last?.percent) return;
    const wait = (last?.at ?? 0) + PROGRESS_INTERVAL_MS - system.now();
    if (wait <= 0 && held === null) {
      send(phase, info);
      return;
    }
    if (held !== null) {
      held.info = info;
      return;
    }
    const timer = system.setTimer(() => {
      const pending = held;
      held = null;
      if (pending !== null) send('installing', pending.info);
    }, Math.max(wait, 0));
    held = { info, timer };
  };
}
