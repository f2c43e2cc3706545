// The time zone when the device names none. With TZ unset and no /etc/localtime, the C library
// (and so the Mender client and every tool we run) keeps time in UTC. V8's ICU comes to UTC too, but
// first opens every file under /usr/share/zoneinfo looking for a match (5,500 opens, 18-34 ms of
// the first toISOString() in the A/B simulator's root; far more on a device's flash). Saying TZ=UTC
// gives the same zone at once.

import { existsSync } from 'node:fs';

export const LOCALTIME = '/etc/localtime';

/** Sets TZ=UTC when neither TZ nor /etc/localtime names a zone; anything named is left alone. */
export function settleTimeZone(env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): void {
  if (env.TZ === undefined && !exists(LOCALTIME)) env.TZ = 'UTC';
}
