// Public surface of the health checks: the pure runner and verdict, and the ports the system fills.
export { runHealthChecks, type RunHealthOptions } from './checks.js';
export { assertHealthy, healthVerdict, type HealthVerdict } from './verdict.js';
export { describeTarget, excerpt, EXCERPT_CHARS } from './target.js';
export type { CheckResult, HealthCheck, HealthClock, HealthFailureCode, HealthProbes, HealthReport, HealthSystem, ProbeResult } from './model.js';
