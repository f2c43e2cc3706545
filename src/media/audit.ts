// A stick's identity as the journal and the ledger record it (the audit trail), and as the policy's
// media rules see it. Strings only: the record is JSON and outlives this version. Recorded names
// are persisted: add fields, never rename one.

import type { MediaFacts } from '../policy/index.js';
import type { StickIdentity } from './identity.js';

/** What is recorded of a stick; `source` alone for folders and files given by hand (`install`). */
export type StickAudit = {
  device?: string;
  mountPoint?: string;
  fsType?: string;
  label?: string;
  uuid?: string;
  bus?: string;
  vendorId?: string;
  productId?: string;
  serial?: string;
  source?: string;
};

/** The identity recorded in the journal and the ledger. */
export function auditIdentity(stick: StickIdentity): StickAudit {
  const fields: Record<keyof StickAudit, string | undefined> = {
    device: stick.device,
    mountPoint: stick.mountPoint,
    fsType: stick.fsType,
    label: stick.label,
    uuid: stick.uuid,
    bus: stick.bus,
    vendorId: stick.usb?.vendorId,
    productId: stick.usb?.productId,
    serial: stick.usb?.serial,
    source: undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Whether two audit identities name the same stick: by filesystem UUID, else by USB serial and ids. */
export function isSameStick(recorded: Readonly<StickAudit>, seen: Readonly<StickAudit>): boolean {
  if (recorded.uuid !== undefined) return recorded.uuid.toLowerCase() === seen.uuid?.toLowerCase();
  const keys = ['serial', 'vendorId', 'productId'] as const;
  return recorded.serial !== undefined && keys.every((k) => recorded[k] === seen[k]);
}

/** The facts the policy's media rules judge a stick by. */
export function mediaFacts(stick: StickIdentity): MediaFacts {
  return { fsType: stick.fsType, label: stick.label, uuid: stick.uuid, usb: stick.usb };
}
