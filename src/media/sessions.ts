// Groups mounted sticks into sessions (all mounted partitions of one disk), from the first mount to
// the last unmount. Sticks present at start-up open sessions too; the ledger prevents re-installs.

import type { StickIdentity } from './identity.js';

export interface StickSession {
  /** `<disk name>#<n>`: n counts sessions in this process, so a re-plugged stick gets a new id. */
  id: string;
  disk: string;
  /** Partitions of this disk mounted now, in mount order. */
  sticks: StickIdentity[];
}

export class SessionTracker {
  private readonly byDisk = new Map<string, StickSession>();
  private count = 0;

  /** Records a mounted stick; returns the session it joined and whether it opened it. */
  mount(stick: StickIdentity): { session: StickSession; started: boolean } {
    const open = this.byDisk.get(stick.disk);
    if (open) {
      open.sticks.push(stick);
      return { session: open, started: false };
    }
    this.count += 1;
    const name = stick.disk.slice(stick.disk.lastIndexOf('/') + 1);
    const session: StickSession = { id: `${name}#${this.count}`, disk: stick.disk, sticks: [stick] };
    this.byDisk.set(stick.disk, session);
    return { session, started: true };
  }

  /** Records an unmount; returns the session the stick was in and whether that ended it. */
  unmount(stick: StickIdentity): { session: StickSession; ended: boolean } | null {
    const session = this.byDisk.get(stick.disk);
    if (!session) return null;
    session.sticks = session.sticks.filter((s) => !(s.majMin === stick.majMin && s.mountPoint === stick.mountPoint));
    if (session.sticks.length > 0) return { session, ended: false };
    this.byDisk.delete(stick.disk);
    return { session, ended: true };
  }

  get open(): StickSession[] {
    return [...this.byDisk.values()];
  }
}
