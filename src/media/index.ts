// Public surface of the media layer.
export { collectCandidates, type CollectOptions, type Collected } from './candidates.js';
export { openCandidate, scanStick, type ArtifactSource, type FoundFile, type OpenedFile, type ScanOptions, type ScanResult, type StickEntry, type StickFs } from './scan.js';
