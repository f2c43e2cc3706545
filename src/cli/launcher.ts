#!/usr/bin/env node
// The packaged `usb-updater` executable (.ci/package.mjs builds it beside the bundle's main file):
// runs that file through V8's code cache (src/system/os/code-cache.ts). tsc's output does not use
// it: there, bin.ts is the executable. USB_UPDATER_MAIN is the build's define.
import { fileURLToPath } from 'node:url';
import { codeCacheDir, readMain, runCachedBundle } from '../system/os/code-cache.js';

declare const USB_UPDATER_MAIN: { file: string; sha256: string };

/**
 * The commands that keep running write a missing cache once their start is behind them (the daemon
 * may run for months); the others when they exit, never in the middle of an install's stream.
 */
const LONG_RUNNING = new Set(['daemon', 'watch']);

const main = fileURLToPath(new URL(USB_UPDATER_MAIN.file, import.meta.url));
let source: ReturnType<typeof readMain>;
try {
  source = readMain(main);
} catch (err) {
  // An installation cut short (the launcher without its main file): say which file, not a stack.
  process.stderr.write(`usb-updater: cannot start: ${main}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (reinstall usb-updater)\n`);
  process.exit(70);
}
runCachedBundle({
  main: source,
  sha256: USB_UPDATER_MAIN.sha256,
  dir: codeCacheDir(process.env),
  ...(LONG_RUNNING.has(process.argv[2] ?? '') ? { writeAfterMs: 2000 } : {}),
});
