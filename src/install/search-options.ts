// How a stick is searched and its headers read, from the config: for the update pipeline and for
// `check`, which must search exactly as an install would.

import type { CollectOptions } from '../media/index.js';
import { pathRule, type LoadedConfig } from '../policy/index.js';

/** The search rules of the config, with a fresh search.timeout deadline. */
export function searchOptions(loaded: LoadedConfig): CollectOptions {
  const { search } = loaded.config;
  return { rule: pathRule(search), maxDepth: search.max_depth, maxEntries: search.max_entries, keys: loaded.keys, signal: AbortSignal.timeout(search.timeout) };
}
