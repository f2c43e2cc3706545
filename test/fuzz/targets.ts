// The fuzz targets by name, as modules the runner's worker thread loads.

import type { FuzzTarget } from './target.js';

export const TARGET_NAMES = ['artifact', 'config', 'decide'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The module of a named target (test/fuzz/NAME-target.ts). */
export const targetModule = (name: TargetName): string => new URL(`./${name}-target.js`, import.meta.url).href;

export async function loadTarget(module: string): Promise<FuzzTarget> {
  const loaded = (await import(module)) as { default?: FuzzTarget };
  if (loaded.default === undefined) throw new Error(`${module} has no default export (a FuzzTarget)`);
  return loaded.default;
}
