// The events the media detector reports, in the order they happen. They are data (JSON as is), the
// contract of `usb-updater watch --json` and what the daemon builds on.

import type { StickIdentity, UsbIdentity } from './identity.js';
import type { StickSession } from './sessions.js';
import type { UnreadableReason, UsbDiskFacts } from './unreadable.js';

/** A mount that looked like media but was refused. */
export interface RejectedMount {
  device: string;
  majMin: string;
  mountPoint: string;
  fsType: string;
  reason: string;
}

/** A USB device as the optional usb-detection monitor reports it (not necessarily storage). */
export interface UsbDevice extends UsbIdentity {
  /** Bus location, to pair attach with detach. */
  location?: string;
}

export type MediaEvent =
  | { type: 'mounted'; at: string; session: string; initial: boolean; stick: StickIdentity }
  | { type: 'unmounted'; at: string; session: string; stick: StickIdentity }
  | { type: 'session-started'; at: string; session: StickSession }
  | { type: 'session-ended'; at: string; session: StickSession }
  | { type: 'rejected'; at: string; initial: boolean; mount: RejectedMount }
  /** The mount table present at start-up has been reported: later events are changes. */
  | { type: 'ready'; at: string }
  | { type: 'usb-attached'; at: string; usb: UsbDevice }
  | { type: 'usb-detached'; at: string; usb: UsbDevice }
  /** A USB disk none of whose filesystems was mounted as a stick within media.mount_timeout (MEDIA_UNREADABLE). */
  | { type: 'unreadable'; at: string; disk: UsbDiskFacts; reason: UnreadableReason; message: string };
