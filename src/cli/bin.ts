#!/usr/bin/env node
// The `usb-updater` executable: runs the CLI and exits with its code. Anything thrown that is not
// an UpdaterError is a bug: it is printed with its stack and exits 70 (EX_SOFTWARE).
import { settleTimeZone } from '../system/os/time-zone.js';
import { main } from './main.js';

settleTimeZone();

// A reader that closes early (`usb-updater --help | head -1`) ends only what it reads: the rest of
// the output is dropped, and the command (an install may be under way) goes on to its end.
for (const out of [process.stdout, process.stderr]) {
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
}
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`usb-updater: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 70;
  },
);
