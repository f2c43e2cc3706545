// Runs one host command for the virtual device's build and harness, and fails with its output
// when it does not exit 0.

import { runProcess, type ProcessResult, type RunProcessOptions } from '../support/harness/process.js';

export async function mustRun(command: string, args: readonly string[], options: RunProcessOptions = {}): Promise<ProcessResult> {
  const result = await runProcess(command, args, { timeoutMs: 10 * 60_000, ...options });
  if (result.code !== 0) throw new Error(`vm: ${command} ${args.join(' ')} exited ${result.code}\n${result.output.slice(-4000)}`);
  return result;
}
