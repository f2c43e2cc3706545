// What a command may touch of its process: output streams, stdin and whether stderr is a terminal.
// Injected so that tests run commands in-process.

export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  stdin: AsyncIterable<Uint8Array>;
}
