// The USB monitor's own process: loads `usb-detection` and prints attach/detach as JSON lines. The
// addon holds the event loop and ignores SIGTERM, so it lives here; the parent ends it via stdin.
// An entry of its own that imports nothing of ours: the child loads the addon and this file only,
// never the 2 MB bundle (issue 16: 19 MiB of private memory in the bundle's role, 9 MiB like this).

import { createRequire } from 'node:module';

interface UsbDetection {
  startMonitoring(): void;
  stopMonitoring(): void;
  find(): Promise<unknown[]>;
  on(event: 'add' | 'remove', listener: (device: unknown) => void): void;
}

const send = (message: object): void => {
  process.stdout.write(JSON.stringify(message) + '\n');
};

// `node usb-monitor-child.js MODULE` (tsc's output), or `node usb-monitor-child.mjs MODULE` beside the bundle.
const moduleName = process.argv[2] ?? 'usb-detection';
// Resolved from this file's folder: beside the bundle, its own node_modules (see README).
let detection: UsbDetection;
try {
  detection = createRequire(import.meta.url)(moduleName) as UsbDetection;
} catch (err) {
  send({ type: 'unavailable', reason: err instanceof Error ? err.message.split('\n')[0] : String(err) });
  process.exit(0);
}

// The parent closing our stdin (or dying) is the signal to leave. No process.exit(): exiting while
// the addon's native thread is still winding down aborts the process (SIGABRT); once monitoring
// stops and stdin is gone, the event loop empties and the process ends by itself with status 0.
const stop = (): void => {
  detection.stopMonitoring();
  process.stdin.destroy();
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
// Ctrl-C in a terminal and systemd's SIGTERM reach the whole process group or cgroup: the parent
// alone decides when this process leaves, so that it is never cut off mid-write.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

detection.startMonitoring();
detection.on('add', (device) => send({ type: 'attached', device }));
detection.on('remove', (device) => send({ type: 'detached', device }));
detection.find().then(
  (devices) => send({ type: 'ready', devices: devices.length }),
  (err: unknown) => send({ type: 'ready', devices: 0, error: String(err) }),
);
