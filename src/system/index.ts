// Public surface of the system edge: the only code that touches files, processes and the clock.
export { openArtifact, readSmallTextFile, type OpenedArtifact } from './files.js';
