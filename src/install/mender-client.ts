// The installer backend: the Mender client, 3.x (`mender`) or 4.x+ (`mender-update`), detected at
// start-up; both take the same verbs. The artifact is streamed into `install` through a FIFO (the
// client takes a path), so the bytes come from our own descriptor. Exit codes (measured with 3.4):
// 0 done, 4 done and a reboot is needed (--reboot-exit-code), 1 error; commit and rollback exit 2
// when there is nothing to commit or roll back.

import { UpdaterError } from '../errors/index.js';
import { runWithFifoInput, type FifoOptions } from '../system/install/fifo-input.js';
import type { CommandResult, RunOptions } from '../system/os/process.js';

export type RunCommand = (command: string, args: readonly string[], options?: RunOptions) => Promise<CommandResult>;
/** Runs a command whose input file (`args(path)`) carries `input`. */
export type RunWithInput = (command: string, args: (path: string) => string[], input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: FifoOptions) => Promise<CommandResult>;

export interface VerbResult {
  code: number | null;
  output: string;
}

export interface InstallResult {
  rebootRequired: boolean;
  output: string;
}

export interface MenderClient {
  readonly command: 'mender' | 'mender-update';
  readonly version: string;
  /** Streams `input` into the client; resolves when it installed, throws INSTALL_FAILED when not. */
  install(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, signal?: AbortSignal): Promise<InstallResult>;
  commit(): Promise<VerbResult>;
  rollback(): Promise<VerbResult>;
  /** The running artifact's name as the client reports it (stale while an update is pending). */
  showArtifact(): Promise<string>;
}

/** The client's own error lines (`level=error msg="…"`), the most specific last; else the output's tail. */
export function clientMessage(output: string): string {
  const messages = [...output.matchAll(/level=error msg="((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\"/g, '"'));
  // 3.x prints its final error twice in a row: drop repeats before keeping the last two.
  const distinct = messages.filter((m, i) => m !== messages[i - 1]);
  if (distinct.length > 0) return distinct.slice(-2).join(': ');
  return output.trim().split('\n').slice(-3).join(' | ');
}

const QUIET = ['--no-syslog'];

export interface ClientOptions {
  /** Bound of commit, rollback and show-artifact (client.timeout); the install is not bounded here. */
  verbTimeoutMs?: number;
  /** The install is ended when it takes no byte of the artifact for this long (client.stall_timeout). */
  stallTimeoutMs?: number;
  /** Where the install's FIFO is made (the state folder). */
  fifoParent?: string;
}

function menderClient(command: 'mender' | 'mender-update', version: string, run: RunCommand, runWithInput: RunWithInput, options: ClientOptions): MenderClient {
  const timeoutMs = options.verbTimeoutMs ?? 5 * 60_000;
  // 3.x warns on every call when no syslog daemon runs (devices often have none): --no-syslog.
  const base = command === 'mender' ? QUIET : [];
  const verb = async (name: string): Promise<VerbResult> => {
    const result = await run(command, [...base, name], { timeoutMs });
    return { code: result.code, output: result.output };
  };
  return {
    command,
    version,
    async install(input, signal) {
      // The client takes a path: Node's stdin for a child is a socket, which it cannot open as
      // /dev/stdin (ENXIO), so the bytes go through a FIFO. When our input ends early (a stick
      // pulled, bytes changed), the client sees its input end and fails on its own.
      // The flag goes before the path: the 3.x CLI stops reading flags at the first argument, so a
      // trailing --reboot-exit-code is silently ignored and a needed reboot exits 0.
      const fifo = { ...(options.stallTimeoutMs !== undefined ? { stallTimeoutMs: options.stallTimeoutMs } : {}), ...(options.fifoParent !== undefined ? { parent: options.fifoParent } : {}) };
      const result = await runWithInput(command, (path) => [...base, 'install', '--reboot-exit-code', path], input, { ...fifo, ...(signal ? { signal } : {}) });
      if (result.code === 0 || result.code === 4) return { rebootRequired: result.code === 4, output: result.output };
      const how = result.timedOut ? 'timed out' : result.signal ? `was ended by ${result.signal}` : `exited ${String(result.code)}`;
      throw new UpdaterError('INSTALL_FAILED', `${command} install ${how}: ${clientMessage(result.output)}`);
    },
    commit: () => verb('commit'),
    rollback: () => verb('rollback'),
    async showArtifact() {
      const result = await run(command, [...base, 'show-artifact'], { timeoutMs: Math.min(timeoutMs, 60_000) });
      if (result.code !== 0) throw new UpdaterError('INSTALL_NO_CLIENT', `${command} show-artifact exited ${String(result.code)}: ${clientMessage(result.output)}`);
      return result.stdout.trim().split('\n').at(-1)?.trim() ?? '';
    },
  };
}

/** Which client is installed, and its version. */
export interface ClientIdentity {
  command: 'mender' | 'mender-update';
  version: string;
}

/** The installed client: `mender` 3.x first, else `mender-update` (4.x and later). */
export async function identifyClient(run: RunCommand): Promise<ClientIdentity> {
  const problems: string[] = [];
  for (const command of ['mender', 'mender-update'] as const) {
    try {
      const result = await run(command, ['--version'], { timeoutMs: 30_000 });
      const version = /(\d+\.\d+\.\d+)/.exec(result.output)?.[1];
      if (result.code === 0 && version !== undefined) return { command, version };
      problems.push(`${command} --version exited ${String(result.code)}`);
    } catch (err) {
      problems.push(`${command}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : (err as Error).message}`);
    }
  }
  throw new UpdaterError('INSTALL_NO_CLIENT', `no Mender client found (${problems.join('; ')}); install mender-client`);
}

/** The installed client (identifyClient), or the one `identity` already names, driven through `run`. */
export async function detectClient(run: RunCommand, runWithInput: RunWithInput = runWithFifoInput, options: ClientOptions = {}, identity?: Promise<ClientIdentity>): Promise<MenderClient> {
  const { command, version } = await (identity ?? identifyClient(run));
  return menderClient(command, version, run, runWithInput, options);
}
