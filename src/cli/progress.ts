// The progress line on a terminal for long byte work (inspect --verify, install): MiB and percent of
// our own byte count, at most four updates a second, nothing when stderr is not a terminal.

import type { Io } from './io.js';

export type Progress = (bytes: number, total: number | null) => void;

/**
 * A reporter writing `label: N MiB P%` over itself, or undefined off a terminal. `capAt99`: the
 * last percent is someone else's work (the client finishing an install), so 100 % is never shown.
 */
export function progressLine(io: Io, label: string, capAt99 = false): Progress | undefined {
  if (io.stderr.isTTY !== true) return undefined;
  let last = 0;
  return (bytes, total) => {
    const now = Date.now();
    if (now - last < 250 && bytes !== total) return;
    last = now;
    const mib = (bytes / 1048576).toFixed(0);
    const percent = total ? Math.floor((bytes / total) * 100) : null;
    const shown = percent === null ? '' : ` ${capAt99 ? Math.min(99, percent) : percent}%`;
    io.stderr.write(`\r${label}: ${mib} MiB${shown}`);
  };
}

/** Clears the progress line. */
export const clearProgress = (io: Io): void => {
  io.stderr.write('\r\x1b[K');
};
