// Public surface of the artifact reader. Other folders import only from here.
export { readArtifact, type ReadOptions } from './reader.js';
export { parsePublicKey, verifyManifestSignature, type VerificationKey } from './signature.js';
export { LIMITS } from './limits.js';
export { checkJsonBounds, type JsonBounds } from './json-bounds.js';
export type { ArtifactInfo, Compression, DependsMap, Payload, PayloadFile, ProvidesMap } from './model.js';
export { nextOrAbort, type ByteSource } from './streams.js';
