// Which paths on a stick are artifact candidates: the configured globs (relative to the stick's root),
// minus hidden and AppleDouble files, which are reported as skipped rather than silently ignored so
// a technician learns why `._update.mender` (a macOS copy artefact) was not used.

import type { Config } from './config-schema.js';
import { pathGlobMatcher } from './glob.js';
import type { Reason } from './reasons.js';

export { namePatternMatcher } from './glob.js';

export type PathRule = (relativePath: string) => { candidate: true } | { candidate: false; skip: Reason | null };

export function pathRule(search: Config['search']): PathRule {
  // Dot files match the globs, so that `._x.mender` and `.x.mender` get a reason, not silence.
  const matches = pathGlobMatcher(search.paths);
  return (relativePath) => {
    if (!matches(relativePath)) return { candidate: false, skip: null };
    const parts = relativePath.split('/');
    const base = parts.pop() ?? '';
    if (base.startsWith('._')) return { candidate: false, skip: { code: 'APPLEDOUBLE_FILE', message: 'macOS AppleDouble metadata file, not an artifact' } };
    if (base.startsWith('.')) return { candidate: false, skip: { code: 'HIDDEN_FILE', message: 'hidden file' } };
    // A hidden folder (.Trash-1000, .Spotlight-V100) holds deleted or system files, never an update.
    if (parts.some((part) => part.startsWith('.'))) return { candidate: false, skip: { code: 'HIDDEN_FILE', message: 'in a hidden folder' } };
    return { candidate: true };
  };
}
