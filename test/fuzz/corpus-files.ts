// Where the fuzzer's seeds and committed regression inputs live, and reading them.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { REPO } from '../support/skip/fixtures.js';

/** Committed inputs that once crashed, hung, disagreed or grew memory; replayed by `npm test`. */
export const regressionDir = (target: string): string => `${REPO}test/fuzz/regressions/${target}/`;

/** Every regular file in `dir` (sorted by name), or none when the folder does not exist. */
export function readFolder(dir: string, suffix = ''): Array<{ name: string; bytes: Buffer }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix) && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, bytes: readFileSync(`${dir}${name}`) }));
}

/** Regression inputs are named `<kind>-<hash>` by the runner; other files there (notes) are not inputs. */
export const regressionInputs = (target: string): Array<{ name: string; bytes: Buffer }> =>
  readFolder(regressionDir(target)).filter((f) => /^(crash|inconsistent|hang|memory|slow)-/.test(f.name));
