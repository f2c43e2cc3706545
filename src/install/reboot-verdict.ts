// Whether a reboot request was made, failed, or was overtaken by the shutdown it started (issue 18).
// Pure: the system edge (src/system/reboot-request.ts) gathers the facts, this decides. The rule:
// once the system is shutting down, nothing is rolled back; only a command that fails while the
// system keeps running is a failed reboot.

/** What happened when the reboot command ran, as the system edge saw it. */
export interface RebootAttempt {
  /** The command and its arguments, and its bound (reboot.timeout), for messages. */
  command: readonly string[];
  timeoutMs: number;
  /** How the command ended; `startError` when it could not be started at all. */
  ended: { code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; output: string } | { startError: string };
  /** A stop signal this process received while the reboot was requested (or before, in the daemon). */
  received: NodeJS.Signals | null;
  /**
   * The service manager's state after a failed command (`systemctl is-system-running`): `stopping`
   * when a shutdown is under way; null when it was not asked (the command succeeded) or cannot be
   * (no systemd).
   */
  systemState: string | null;
}

export type RebootVerdict =
  /** The command returned success: the reboot is queued. */
  | { status: 'requested' }
  /** The system is going down (maybe by this very request): the update stays pending, the next boot decides. */
  | { status: 'under-way'; reason: string }
  /** The command failed and the system keeps running: the install is rolled back. */
  | { status: 'failed'; reason: string };

export function judgeReboot(attempt: RebootAttempt): RebootVerdict {
  const name = attempt.command.join(' ');
  const { ended } = attempt;
  // systemd stops every service at shutdown (SIGTERM to its whole cgroup): a result that comes after
  // that, whatever it says, was cut short by the shutdown, not a refusal to reboot.
  if (attempt.received !== null) return { status: 'under-way', reason: `this process received ${attempt.received} while the reboot was requested: the system is shutting down` };
  if (!('startError' in ended) && ended.code === 0) return { status: 'requested' };
  if (attempt.systemState === 'stopping') return { status: 'under-way', reason: `${name} ${describeEnd(attempt)}, but systemd reports the system as stopping` };
  // Killed by a signal we did not send (our timeout sends SIGKILL and is told apart): the shutdown
  // it started stops the service it runs in, itself included. A power cut at this moment would leave
  // the same state, and the next boot's check handles that.
  if (!('startError' in ended) && ended.signal !== null && !ended.timedOut) {
    return { status: 'under-way', reason: `${name} was ended by ${ended.signal}: the shutdown it started stops every service` };
  }
  return { status: 'failed', reason: `${name} ${describeEnd(attempt)}` };
}

function describeEnd({ ended, timeoutMs }: RebootAttempt): string {
  if ('startError' in ended) return `could not be started: ${ended.startError}`;
  if (ended.timedOut) return `did not return within reboot.timeout (${timeoutMs / 1000} s)`;
  const tail = ended.output.trim().slice(-300);
  return `exited ${ended.signal ?? String(ended.code)}${tail === '' ? '' : `: ${tail}`}`;
}
