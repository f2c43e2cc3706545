// USB attach and detach from the optional `usb-detection` addon, run in a child process: early
// feedback ("stick seen") only, never what decides an install. Without the addon, one log line.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Stoppable, UsbDevice } from '../../media/index.js';
import type { Logger } from '../../log/index.js';
import { BUNDLE } from '../os/build-info.js';

export interface UsbMonitorOptions {
  /** The module the child loads; tests name a missing one to run without the addon. */
  moduleName?: string;
  /**
   * How long the child may take to leave after its stdin closes before it is killed: it needs about
   * 0.3 s (the addon's thread winds down), more on a busy machine; the daemon must be gone in 2 s.
   */
  stopGraceMs?: number;
}

export type UsbChange = { type: 'usb-attached' | 'usb-detached'; usb: UsbDevice };

/**
 * The child's command line: its own small entry, never the bundle in another role (the child would
 * then parse all of the bundle to log attach and detach). In tsc's output it is the compiled file
 * beside this one; the package builds it as `usb-monitor-child.mjs` beside the bundle
 * (.ci/package.mjs, USB_MONITOR_CHILD).
 */
export function usbMonitorChildArgs(moduleName: string): string[] {
  const file = BUNDLE === undefined ? './usb-monitor-child.js' : './usb-monitor-child.mjs';
  return [fileURLToPath(new URL(file, import.meta.url)), moduleName];
}

const hex4 = (value: unknown): string | undefined => (typeof value === 'number' ? value.toString(16).padStart(4, '0') : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** usb-detection's device object to ours (its keys: vendorId, productId, manufacturer, deviceName…). */
export function toUsbDevice(raw: unknown): UsbDevice {
  const d = (raw ?? {}) as Record<string, unknown>;
  const fields: Array<[keyof UsbDevice, string | undefined]> = [
    ['vendorId', hex4(d.vendorId)],
    ['productId', hex4(d.productId)],
    ['vendor', text(d.manufacturer)],
    ['product', text(d.deviceName)],
    ['serial', text(d.serialNumber)],
    ['location', typeof d.locationId === 'number' ? `${d.locationId}:${String(d.deviceAddress)}` : undefined],
  ];
  const device: UsbDevice = {};
  for (const [key, value] of fields) if (value !== undefined) device[key] = value;
  return device;
}

export function startUsbMonitor(logger: Logger, onChange: (change: UsbChange) => void, options: UsbMonitorOptions = {}): Stoppable & { ready: Promise<boolean> } {
  const { moduleName = 'usb-detection', stopGraceMs = 1500 } = options;
  const child = spawn(process.execPath, usbMonitorChildArgs(moduleName), { stdio: ['pipe', 'pipe', 'pipe'] });
  let markReady: (available: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((resolve) => { markReady = resolve; });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let stopping = false;
  let unavailable = false;

  child.on('error', (err) => {
    logger.warn('USB monitor could not start; media detection goes on without USB attach events', { error: err.message });
    markReady(false);
  });
  child.on('exit', (code, signal) => {
    markReady(false);
    // Without the addon the child says so (one info line) and leaves: that is not a failure.
    if (!stopping && !unavailable) logger.warn('USB monitor ended; media detection goes on without USB attach events', { code, signal });
    else if (code !== 0) logger.warn('USB monitor did not stop cleanly', { code, signal });
  });
  child.stderr.on('data', (chunk: Buffer) => logger.warn('USB monitor', { stderr: chunk.toString().slice(0, 500) }));
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message: { type?: string; device?: unknown; reason?: string; devices?: number };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return;
    }
    if (message.type === 'unavailable') {
      unavailable = true;
      logger.info('usb-detection is not installed or did not build; media detection works without USB attach events', { reason: message.reason });
      markReady(false);
    } else if (message.type === 'ready') {
      logger.info('USB monitor started', { devices: message.devices });
      markReady(true);
    } else if (message.type === 'attached' || message.type === 'detached') {
      onChange({ type: message.type === 'attached' ? 'usb-attached' : 'usb-detached', usb: toUsbDevice(message.device) });
    }
  });

  return {
    ready,
    async stop() {
      stopping = true;
      child.stdin.end();
      // The addon may ignore everything but SIGKILL: wait a little, then end it by its PID.
      const timer = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, stopGraceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
