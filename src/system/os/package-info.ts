// The version of the running usb-updater: the bundle carries it (build-info.ts); tsc's output reads
// the repository's package.json (two folders above dist/src/).

import { readFileSync } from 'node:fs';
import { BUNDLE } from './build-info.js';

export function packageVersion(): string {
  if (BUNDLE !== undefined) return BUNDLE.version;
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
