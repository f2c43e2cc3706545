// What the daemon reads about the device once, not once per stick: the provides (`mender
// show-provides`, a client process of 0.1-0.3 s on a busy device) and which client is installed
// (`mender --version`, another). The provides are kept while the client's store and artifact_info
// are unchanged (providesStamp: an install, commit or rollback, by us or by hand, writes the store);
// the client's identity for the life of the process (a boot, for the daemon). A failure is never kept.
// The device_type file is read for every stick: one small read, and an integrator may change it.

import { deviceProvides, providesStamp } from '../system/policy/device-facts.js';
import { runCommand } from '../system/os/process.js';
import { identifyClient, type ClientIdentity } from './mender-client.js';

export interface FactsReaders {
  provides(): Promise<Record<string, string>>;
  stamp(): Promise<string>;
  client(): Promise<ClientIdentity>;
}

const REAL_READERS: FactsReaders = { provides: () => deviceProvides(), stamp: () => providesStamp(), client: () => identifyClient(runCommand) };

/** Calls `forget` should `promise` fail (the caller awaits it and sees the failure itself). */
function forgetOnFailure(promise: Promise<unknown>, forget: () => void): void {
  promise.catch(forget);
}

export class DeviceFactsCache {
  private provided: { stamp: string; value: Promise<Record<string, string>> } | null = null;
  private identity: Promise<ClientIdentity> | null = null;

  constructor(private readonly read: FactsReaders = REAL_READERS) {}

  /** The device's provides: the ones read before, unless the client's store changed since. */
  async provides(): Promise<Record<string, string>> {
    // The stamp is taken before the read: a store that changes during it is read again next time.
    const stamp = await this.read.stamp();
    if (this.provided?.stamp !== stamp) {
      const entry = { stamp, value: this.read.provides() };
      this.provided = entry;
      forgetOnFailure(entry.value, () => {
        if (this.provided === entry) this.provided = null;
      });
    }
    return this.provided.value;
  }

  /** The installed client, detected once. */
  client(): Promise<ClientIdentity> {
    if (this.identity === null) {
      const identity = this.read.client();
      this.identity = identity;
      forgetOnFailure(identity, () => {
        if (this.identity === identity) this.identity = null;
      });
    }
    return this.identity;
  }

  /** Reads what is not known yet (at start, while no stick waits); failures are left to the next stick. */
  async warm(): Promise<void> {
    await Promise.allSettled([this.provides(), this.client()]);
  }
}
