// Public surface of media: mount events, what counts as a stick and its identity, sessions,
// following the config file, and the safe search of a stick's files for candidates.
export { collectCandidates, type CollectOptions, type Collected, type ReadFile } from './candidates.js';
export { consumedBy, type ConsumedBytes } from './consumed-bytes.js';
export { openCandidate, scanStick, type ArtifactSource, type ChunkOptions, type FoundFile, type OpenedFile, type ScanOptions, type ScanResult, type StickEntry, type StickFs } from './scan.js';
export type { MediaEvent, RejectedMount, UsbDevice } from './events.js';
export { followConfig, type ConfigHandlers, type FollowedConfig, type WatchFile } from './follow-config.js';
export { auditIdentity, isSameStick, mediaFacts, type StickAudit } from './audit.js';
export { classifyMount, isUnder, type BlockDeviceFacts, type Bus, type MountClassification, type StickIdentity, type UsbIdentity } from './identity.js';
export { diffMounts, parseMountInfo, parseMountInfoLine, type MountChanges, type MountEntry } from './mountinfo.js';
export { checkMediaOptions, DEFAULT_MEDIA_OPTIONS, type MediaOptions } from './options.js';
export { SessionTracker, type StickSession } from './sessions.js';
export type { MediaSystem, Stoppable, UsbDiskSystem } from './ports.js';
export { isAllowedType, judgeUnreadable, type DiskVolume, type Unreadable, type UnreadableReason, type UsbDiskFacts } from './unreadable.js';
export { DEFAULT_MOUNT_TIMEOUT_MS, watchUnreadable, type UnreadableOptions, type UnreadableWatch } from './unreadable-watch.js';
export { watchMedia, type MediaWatch } from './watch-media.js';
