// Runs the CLI in-process with captured output, as a script would see it.

import { main } from '../../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], stdin: Iterable<Uint8Array> | AsyncIterable<Uint8Array> = []): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    stdin: (async function* () {
      yield* stdin;
    })(),
  });
  return { code, stdout, stderr };
}
