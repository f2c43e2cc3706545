// The fuzz targets by name.

import { artifactTarget } from './artifact-target.js';
import { configTarget } from './config-target.js';
import type { FuzzTarget, TargetName } from './target.js';

export const TARGETS: Record<TargetName, FuzzTarget> = { artifact: artifactTarget, config: configTarget };
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];
