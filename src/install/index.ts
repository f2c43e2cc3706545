// Public surface of the installer: the Mender client backend and the exact-bytes stream fed to it.
export { exactBytes, type ExactBytesOptions, type StreamTotals } from './exact-bytes.js';
export { clientMessage, detectClient, identifyClient, type ClientIdentity, type ClientOptions, type InstallResult, type MenderClient, type RunCommand, type RunWithInput, type VerbResult } from './mender-client.js';
export { deploy, type DeployDeps, type DeployOutcome, type DeployRequest, type RebootPolicy } from './deploy.js';
export { judgeReboot, type RebootAttempt, type RebootVerdict } from './reboot-verdict.js';
export { deploymentFacts, finishDeployment, recoverAtStartup, type FinishDeps, type FinishResult, type StartupResult } from './finish.js';
// The flows that compose them: the update pipeline, the boot-time check, status, and what a
// deploying command checks first.
export { runUpdate, type UpdateRequest, type UpdateResult } from './pipeline.js';
export { checkBoot, describeStartup, finishedOnThisBoot, runBootCheck, showBootCheck } from './boot-check.js';
export { readStatus, type DeploymentStatus } from './status.js';
export { assertTrustedFiles, trustedFiles } from './trusted-files.js';
export { searchOptions } from './search-options.js';
export { previewUpdate } from './preview.js';
export { DeviceFactsCache, type FactsReaders } from './device-facts-cache.js';
