// Public surface of the system edge: the only code that touches files, processes and the clock.
export { DEFAULT_CONFIG_PATH, readConfigFile } from './config-file.js';
export { ARTIFACT_INFO_PATH, deviceProvides, parseDeviceTypeFile, parseProvides, readDeviceType } from './device-facts.js';
export { artifactFromHandle, openArtifact, readSmallTextFile, type OpenedArtifact } from './files.js';
export { realStickFs } from './stick-fs.js';
export { runCommand, type CommandResult, type RunOptions } from './process.js';
export { runWithFifoInput } from './fifo-input.js';
export { readBootId, readProcessStartTime } from './boot-id.js';
export { acquireDeploymentLock, isProcessAlive, isStaleHolder, type DeploymentLock, type LockHolder, type LockOptions } from './deployment-lock.js';
export { DEFAULT_STATE_DIR, LOCK_FILE, fileStateStore, type FileOps } from './state-store.js';
export { readBootEnv } from './boot-env.js';
export { describeBlockDevice, decodeUdevString, parseKeyValueLines, type BlockDeviceOptions } from './block-devices.js';
export { jsonLinesLogger, type Logger } from './logger.js';
export { realMediaSystem } from './media-system.js';
export { followMountTable, readMountTable, type FollowOptions } from './mount-table.js';
export { untilOutputClosed, untilSignal } from './signals.js';
export { startUsbMonitor, toUsbDevice, type UsbChange, type UsbMonitorOptions } from './usb-monitor.js';
export { watchDirectories, watchFile } from './watch-paths.js';
export { assertStandalone, findMenderDaemon } from './mender-daemon.js';
