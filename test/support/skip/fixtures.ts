// Paths to the committed fixtures, and the rule for tests that need a Debian tool: skip with the
// reason on a developer machine, fail in CI (CI=true), where every tool is installed.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Tests run from dist/test/…; fixtures stay in the source tree. */
export const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/', import.meta.url));
export const ARTIFACTS = `${FIXTURES}artifacts/`;
export const KEYS = `${FIXTURES}keys/`;
export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = `${REPO}dist/src/cli/bin.js`;

export const artifact = (name: string): Buffer => readFileSync(`${ARTIFACTS}${name}`);
export const keyPem = (name: string): string => readFileSync(`${KEYS}${name}`, 'utf8');

export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The `skip` option for a test that needs `tool`: false when it is there; the reason when it is not.
 * In CI a missing tool is a failure, never a skip.
 */
export function needsTool(tool: string, apt: string): string | false {
  if (hasTool(tool)) return false;
  if (process.env.CI === 'true') throw new Error(`${tool} is missing in CI: the test command must install ${apt}`);
  return `needs ${tool} (apt-get install ${apt})`;
}

/**
 * Like needsTool, for what a harness needs from the machine besides tools (root, namespaces…):
 * false when `problem` is null, else the reason to skip; in CI a failure, never a skip.
 */
export function needsSetUp(problem: string | null, harness: string): string | false {
  if (problem === null) return false;
  if (process.env.CI === 'true') throw new Error(`${harness} cannot run in CI: ${problem}`);
  return problem;
}

/** All committed fixture artifacts. */
export const FIXTURE_NAMES = [
  'module-augmented-lzma-ec.mender',
  'module-gzip-rsa.mender',
  'rootfs-gzip-rsa.mender',
  'rootfs-gzip-unsigned.mender',
  'rootfs-lzma-ec.mender',
  'rootfs-none-unsigned.mender',
  'v2-rootfs-gzip.mender',
  'v2-rootfs-none-rsa.mender',
] as const;
