// Public surface of the health domain: what the boot after an install was (the classification),
// the pure runner and verdict of the health checks, and the ports the system fills.
export {
  CLASSIFICATIONS, afterRollback, alreadyCommitted, backOnOldImage, classifyBoot, describeBoot, runningImage,
  type BootFacts, type BootClassification, type DeploymentFacts,
} from './classify.js';
export { runHealthChecks, type RunHealthOptions } from './checks.js';
export { assertHealthy, healthVerdict, type HealthVerdict } from './verdict.js';
export { describeTarget, excerpt, EXCERPT_CHARS } from './target.js';
export type { CheckResult, HealthCheck, HealthFailureCode, HealthReport } from './model.js';
export type { HealthClock, HealthProbes, HealthSystem, ProbeResult } from './ports.js';
