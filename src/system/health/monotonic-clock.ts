// The clock of the health checks: monotonic time and abortable sleeps. Not Date.now(): at boot the
// wall clock jumps when NTP or the RTC sets it, which would stretch or cut a deadline.

import { setTimeout as sleep } from 'node:timers/promises';
import type { HealthClock } from '../../health/index.js';

export const monotonicClock: HealthClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};
