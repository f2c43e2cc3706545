// Public surface of the system edge: the only code that touches files, processes and the clock.
export { describeBlockDevice, decodeUdevString, parseKeyValueLines, type BlockDeviceOptions } from './block-devices.js';
export { openArtifact, readSmallTextFile, type OpenedArtifact } from './files.js';
export { jsonLinesLogger, type Logger } from './logger.js';
export { realMediaSystem } from './media-system.js';
export { followMountTable, readMountTable, type FollowOptions } from './mount-table.js';
export { untilOutputClosed, untilSignal } from './signals.js';
export { startUsbMonitor, toUsbDevice, type UsbChange, type UsbMonitorOptions } from './usb-monitor.js';
export { watchDirectories, watchFile } from './watch-paths.js';
