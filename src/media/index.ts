// Public surface of the media layer.
export { collectCandidates, type CollectOptions, type Collected, type ReadFile } from './candidates.js';
export { consumedBy, type ConsumedBytes } from './consumed-bytes.js';
export { openCandidate, scanStick, type ArtifactSource, type FoundFile, type OpenedFile, type ScanOptions, type ScanResult, type StickEntry, type StickFs } from './scan.js';
