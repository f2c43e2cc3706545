// Test-only input streams for the install's FIFO: endless zeros, and bytes that come at a steady
// slow pace, to tell a stalled reader from a slow one.

/** Endless 64 KiB chunks of zeros: a reader that stops is the only way this input stops. */
export function* endless(): Generator<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024);
  for (;;) yield chunk;
}
