// The text view of media events, one line each, for `usb-updater watch`. Labels, USB strings and
// mount points come from the stick: every line goes through printable().

import type { MediaEvent, StickIdentity, UsbIdentity } from '../media/index.js';
import { printable } from '../log/index.js';

function usbText(usb: UsbIdentity): string {
  const ids = usb.vendorId || usb.productId ? `${usb.vendorId ?? '?'}:${usb.productId ?? '?'}` : '';
  const parts = [ids, usb.vendor, usb.product, usb.serial !== undefined ? `serial ${JSON.stringify(usb.serial)}` : undefined];
  return parts.filter((p) => p !== undefined && p !== '').join(' ');
}

function stickText(stick: StickIdentity): string {
  const details = [
    stick.fsType,
    stick.label !== undefined ? `label ${JSON.stringify(stick.label)}` : undefined,
    stick.uuid !== undefined ? `uuid ${stick.uuid}` : undefined,
    stick.bus === 'usb' ? `usb ${stick.usb ? usbText(stick.usb) : ''}`.trim() : stick.bus,
    stick.removable ? 'removable' : undefined,
  ].filter((d) => d !== undefined);
  return `${stick.device} on ${stick.mountPoint} (${details.join(', ')})`;
}

function describe(event: MediaEvent): string {
  switch (event.type) {
    case 'mounted':
      return `mounted ${event.session}${event.initial ? ' (present at start)' : ''}: ${stickText(event.stick)}`;
    case 'unmounted':
      return `unmounted ${event.session}: ${event.stick.device} from ${event.stick.mountPoint}`;
    case 'session-started':
      return `session ${event.session.id} started: ${event.session.disk}`;
    case 'session-ended':
      return `session ${event.session.id} ended`;
    case 'rejected':
      return `rejected: ${event.mount.device} on ${event.mount.mountPoint} (${event.mount.fsType}): ${event.mount.reason}`;
    case 'ready':
      return 'ready: the mount table at start-up has been reported; following changes';
    case 'usb-attached':
      return `usb attached: ${usbText(event.usb)}`;
    case 'usb-detached':
      return `usb detached: ${usbText(event.usb)}`;
    case 'unreadable':
      return `unreadable (${event.reason}): ${event.message}${event.disk.usb ? `; usb ${usbText(event.disk.usb)}` : ''}`;
  }
}

export function formatMediaEvent(event: MediaEvent): string {
  return `${event.at} ${printable(describe(event))}\n`;
}
