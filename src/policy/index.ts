// Public surface of the policy: the config file (schema, loader) and the pure decision.
export { configJsonSchema, configSchema, type Config, type HealthCheck } from './config-schema.js';
export { formatProblem, loadConfig, type ConfigProblem, type LoadedConfig, type LoadOptions, type LoadResult } from './config-loader.js';
export { formatDuration, formatSize, parseDuration, parseSize } from './units.js';
export { decide, type Candidate, type CandidateVerdict, type Decision, type MediaFacts } from './decide.js';
export type { DeviceFacts } from './device-compat.js';
export { REASON_CODES, type Reason, type ReasonCode } from './reasons.js';
export { pathRule, type PathRule } from './stick-paths.js';
