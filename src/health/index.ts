// Public surface of the health domain: what the boot after an install was, and the checks' verdict.
export {
  CLASSIFICATIONS, afterRollback, alreadyCommitted, backOnOldImage, classifyBoot, describeBoot, runningImage,
  type BootFacts, type Classification, type DeploymentFacts,
} from './classify.js';
