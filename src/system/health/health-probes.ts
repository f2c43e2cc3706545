// The real health probes: one attempt of each kind of check against this machine. Each attempt
// stops when its signal aborts (the runner's per-attempt timeout or the deadline); what a failure
// says names the target and what was seen, with any text the target chose cut to an excerpt.

import { stat } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import { describeTarget, excerpt, type HealthCheck, type HealthProbes, type ProbeResult } from '../../health/index.js';
import { parseKeyValueLines } from '../media/block-devices.js';
import { runCommand } from '../os/process.js';

type Check<T extends HealthCheck['type']> = Extract<HealthCheck, { type: T }>;

export interface HealthProbeOptions {
  /**
   * The environment of commands and of systemctl, which is looked up on its PATH (never
   * /bin/systemctl by absolute path: tests put a fake one first on PATH). Default: this process's.
   */
  env?: NodeJS.ProcessEnv;
}

/** Characters of a command's output kept to find its last line. */
const OUTPUT_TAIL = 500;
/** Bytes of an unexpected HTTP answer's body read for the message. */
const BODY_BYTES = 512;

const pass = (message: string): ProbeResult => ({ passed: true, message });
const fail = (message: string, final = false): ProbeResult => ({ passed: false, message, ...(final ? { final } : {}) });

function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What a failed connection or request means, in words. */
function networkProblem(err: unknown): string {
  switch (errnoOf(err)) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ABORT_ERR':
      return 'stopped';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

// systemd's ActiveState: only `active` is healthy. `activating` is not yet: a unit with
// Restart=always whose process keeps dying sits in activating (auto-restart) and is never
// `failed`, which is why "not failed" is not a health check. `failed` will not mend by waiting.
async function probeUnit(check: Check<'systemd-unit'>, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<ProbeResult> {
  const target = describeTarget(check);
  // `--` so that no unit name is ever read as an option (the schema also refuses a leading dash).
  const shown = await runCommand('systemctl', ['show', '--property=LoadState,ActiveState,SubState,NRestarts', '--', check.unit], { env, signal, maxOutput: OUTPUT_TAIL });
  const properties = parseKeyValueLines(shown.stdout);
  const active = properties.get('ActiveState');
  if (shown.code !== 0 || active === undefined) {
    const why = excerpt(shown.output);
    return fail(`${target}: systemctl show ${shown.code === null ? `was killed by ${shown.signal ?? 'a signal'}` : `exited ${shown.code}`}${why === '' ? '' : `: ${why}`}`);
  }
  const load = properties.get('LoadState') ?? '';
  const sub = properties.get('SubState') ?? '';
  const restarts = Number(properties.get('NRestarts') ?? '0');
  const restarted = restarts > 0 ? `, restarted ${restarts} times` : '';
  // A unit systemd does not know (a typo, a unit missing from the new image) or masked cannot start.
  if (load === 'not-found' || load === 'masked' || load === 'error' || load === 'bad-setting') return fail(`${target} is not loaded (${load})`, true);
  switch (active) {
    case 'active':
      return pass(`${target} is active (${sub}${restarted})`);
    case 'failed':
      return fail(`${target} has failed (${sub}${restarted})`, true);
    case 'activating':
      return fail(sub === 'auto-restart' ? `${target} is activating (auto-restart: its process exited${restarted})` : `${target} is activating (still starting${restarted})`);
    default:
      return fail(`${target} is ${active} (${sub})`);
  }
}

// Redirects are not followed: the check is about the service configured, and a redirect to a login
// page or to another host that answers 200 would make a broken service look healthy. A 3xx is a
// status like any other; list it in `status` if it is the healthy answer.
function probeHttp(check: Check<'http'>, signal: AbortSignal): Promise<ProbeResult> {
  const target = describeTarget(check);
  const url = new URL(check.url);
  const get = url.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise((resolve) => {
    // No agent: one connection per attempt, closed after it, nothing kept alive between attempts.
    const request = get(url, { agent: false, signal, headers: { accept: '*/*' }, ...(check.insecure ? { rejectUnauthorized: false } : {}) }, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (check.status.includes(status)) {
        response.destroy();
        resolve(pass(`${target} answered ${status}`));
        return;
      }
      // A little of the body says why (a server's "database unreachable"); never more than BODY_BYTES.
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void => {
        response.destroy();
        const body = excerpt(Buffer.concat(chunks).subarray(0, BODY_BYTES).toString('utf8'), 'start');
        resolve(fail(`${target} answered ${status}, expected ${check.status.join(' or ')}${body === '' ? '' : `: ${body}`}`));
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= BODY_BYTES) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.on('error', (err) => resolve(fail(`${target} failed: ${networkProblem(err)}`)));
  });
}

function probeTcp(check: Check<'tcp'>, signal: AbortSignal): Promise<ProbeResult> {
  const target = describeTarget(check);
  return new Promise((resolve) => {
    const socket = connect({ host: check.host, port: check.port });
    const stop = (): void => {
      socket.destroy();
    };
    signal.addEventListener('abort', stop, { once: true });
    const settle = (result: ProbeResult): void => {
      signal.removeEventListener('abort', stop);
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => settle(pass(`${target} accepted`)));
    socket.once('error', (err) => settle(fail(errnoOf(err) === 'ECONNREFUSED' ? `${target} refused` : `${target} failed: ${networkProblem(err)}`)));
    socket.once('close', () => settle(fail(`${target}: stopped`)));
  });
}

async function probeCommand(check: Check<'command'>, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<ProbeResult> {
  const target = describeTarget(check);
  const [program = '', ...args] = check.command;
  try {
    // Its own process group, killed as a whole when the attempt times out: a script's children too.
    const done = await runCommand(program, args, { env: { ...env, ...check.env }, signal, maxOutput: OUTPUT_TAIL, killGroup: true });
    if (done.code === 0) return pass(`${target} exited 0`);
    const how = done.code === null ? `was killed by ${done.signal ?? 'a signal'}` : `exited ${done.code}`;
    const last = excerpt(done.output);
    return fail(`${target} ${how}${last === '' ? '' : `: ${last}`}`);
  } catch (err) {
    if (signal.aborted) return fail(`${target} was stopped (killed)`);
    const code = errnoOf(err);
    return fail(`${target} could not be started: ${code === 'ENOENT' ? `${program} not found` : (err as Error).message}`);
  }
}

function kindOf(stats: Awaited<ReturnType<typeof stat>>): string {
  if (stats.isFile()) return 'a file';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isSocket()) return 'a socket';
  if (stats.isFIFO()) return 'a FIFO';
  return 'a device node';
}

// Any kind of file counts, and links are followed: readiness markers come as files, folders or
// sockets, and "exists" is what the check asks. A dangling link does not exist.
async function probeFile(check: Check<'file'>): Promise<ProbeResult> {
  const target = describeTarget(check);
  try {
    return pass(`${target} exists (${kindOf(await stat(check.path))})`);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return fail(`${target} does not exist`);
    return fail(`${target} cannot be checked: ${(err as Error).message}`);
  }
}

/** The probes that run on the device. */
export function realHealthProbes(options: HealthProbeOptions = {}): HealthProbes {
  const env = options.env ?? process.env;
  return {
    probe(check, signal) {
      switch (check.type) {
        case 'systemd-unit':
          return probeUnit(check, env, signal);
        case 'http':
          return probeHttp(check, signal);
        case 'tcp':
          return probeTcp(check, signal);
        case 'command':
          return probeCommand(check, env, signal);
        case 'file':
          return probeFile(check);
      }
    },
  };
}
