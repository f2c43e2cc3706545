// The deployment state machine as data: one table `{ state: { event: next state } }`, the terminal
// states, and the recovery event for each state the process may find in the journal at start-up.
// Pure: no I/O. State and event names are persisted in the journal and the ledger: append only,
// never rename or reuse one. State names are Mender's where they mean the same thing.

import { UpdaterError } from '../errors/index.js';

/**
 * What the runner does in each state (its side effect, performed after the journal says so):
 * - ArtifactInstall: stream the artifact into `mender install`.
 * - ArtifactReboot: reboot into the new partition.
 * - ArtifactVerifyReboot: on the trial boot, read the bootloader facts, then run the health checks.
 * - ArtifactCommit: read the bootloader facts, then `mender commit`.
 * - ArtifactRollback: `mender rollback` (returns "nothing to roll back" when already done).
 * - ArtifactRollbackReboot: reboot back into the old partition.
 * - ArtifactVerifyRollbackReboot: check that the old partition runs with nothing pending.
 * - ArtifactFailure: make sure the client has nothing pending, record the error.
 * - Committed, RolledBack, Failed: terminal, nothing to do.
 */
export const TRANSITIONS = {
  ArtifactInstall: {
    /** The client installed it and asks for a reboot (`--reboot-exit-code`: 4). */
    installed: 'ArtifactReboot',
    /** The client installed it and needs no reboot (an update module): check on this boot. */
    'installed-no-reboot': 'ArtifactVerifyReboot',
    /** The client failed (rc 1): its own failure states already ran; nothing is pending. */
    'install-failed': 'ArtifactFailure',
    /** Recovery: the process died during the install; it may or may not have completed. */
    interrupted: 'ArtifactRollback',
  },
  ArtifactReboot: {
    rebooted: 'ArtifactVerifyReboot',
    /** The reboot could not be requested: undo the install rather than leave it pending. */
    'reboot-failed': 'ArtifactRollback',
  },
  ArtifactVerifyReboot: {
    'checks-passed': 'ArtifactCommit',
    'checks-failed': 'ArtifactRollback',
    /** The bootloader already switched back (bootlimit reached): roll back, never commit. */
    'bootloader-fell-back': 'ArtifactRollback',
    retry: 'ArtifactVerifyReboot',
  },
  ArtifactCommit: {
    /** `mender commit` returned 0, or 2 ("nothing to commit") after a commit that had completed. */
    committed: 'Committed',
    'commit-failed': 'ArtifactRollback',
    'bootloader-fell-back': 'ArtifactRollback',
    retry: 'ArtifactCommit',
  },
  ArtifactRollback: {
    /** The old partition runs and nothing is pending (fallback, or rollback before any reboot). */
    'rolled-back': 'RolledBack',
    /** The client switched the bootloader back; the bad image still runs until a reboot. */
    'rollback-needs-reboot': 'ArtifactRollbackReboot',
    'rollback-failed': 'ArtifactFailure',
    retry: 'ArtifactRollback',
  },
  ArtifactRollbackReboot: {
    rebooted: 'ArtifactVerifyRollbackReboot',
    retry: 'ArtifactRollbackReboot',
  },
  ArtifactVerifyRollbackReboot: {
    'rolled-back': 'RolledBack',
    /** Still on the new partition, or still pending, after the rollback reboot. */
    'rollback-failed': 'ArtifactFailure',
    retry: 'ArtifactVerifyRollbackReboot',
  },
  ArtifactFailure: {
    'failure-recorded': 'Failed',
    retry: 'ArtifactFailure',
  },
  Committed: {},
  RolledBack: {},
  Failed: {},
} as const satisfies Record<string, Record<string, string>>;

type Table = typeof TRANSITIONS;
export type State = keyof Table;
/** Events that are valid in state `S` (for a union of states, in any of them). */
export type EventOf<S extends State> = S extends State ? keyof Table[S] & string : never;
export type Event = EventOf<State>;
/** The state `next(S, E)` leads to, computed by the compiler. */
export type NextOf<S extends State, E extends Event> = S extends State ? (E extends keyof Table[S] ? Table[S][E] : never) : never;

export const STATES = Object.keys(TRANSITIONS) as State[];
export const EVENTS = [...new Set(STATES.flatMap((s) => Object.keys(TRANSITIONS[s])))] as Event[];
export const INITIAL_STATE = 'ArtifactInstall' satisfies State;

const TERMINAL = ['Committed', 'RolledBack', 'Failed'] as const satisfies readonly State[];
export type TerminalState = (typeof TERMINAL)[number];
export type PendingState = Exclude<State, TerminalState>;
export const TERMINAL_STATES: readonly TerminalState[] = TERMINAL;
export const PENDING_STATES = STATES.filter((s): s is PendingState => !isTerminal(s));

export function isState(value: unknown): value is State {
  return typeof value === 'string' && Object.hasOwn(TRANSITIONS, value);
}

export function isEvent(value: unknown): value is Event {
  return typeof value === 'string' && (EVENTS as string[]).includes(value);
}

export function isTerminal(state: State): state is TerminalState {
  return (TERMINAL as readonly State[]).includes(state);
}

/** The events `state` accepts. */
export function eventsOf(state: State): Event[] {
  return Object.keys(TRANSITIONS[state]) as Event[];
}

/**
 * The state after `event` in `state`. The types refuse an impossible pair at compile time; at run
 * time (names read back from a file) an impossible pair throws STATE_BAD_TRANSITION.
 */
export function next<S extends State, E extends EventOf<S>>(state: S, event: E): NextOf<S, E> {
  const row: Partial<Record<Event, State>> = TRANSITIONS[state];
  const to = Object.hasOwn(row, event) ? row[event] : undefined;
  if (to === undefined) {
    throw new UpdaterError('STATE_BAD_TRANSITION', `event "${event}" is not possible in state ${state}`);
  }
  return to as NextOf<S, E>;
}

/**
 * What to apply when the journal is found in a pending state at start-up, by whether the machine
 * booted since the journal entered that state. `null`: apply nothing and leave the journal as it is.
 * Every recovery lands in a state whose side effect is idempotent and starts by reading the facts
 * (bootloader environment, client state) again, so a power cut at any point gives the same decision.
 */
export interface Recovery {
  sameBoot: Event | null;
  newBoot: Event;
}

export const RECOVERY = {
  // The client may have completed the install (bootloader switched, maybe already booted as a trial)
  // or not. We never saw it succeed, so it must never be committed: `mender rollback` undoes a
  // completed install (and switches the bootloader back) and answers "nothing to roll back" for one
  // that did not complete. Either way the old partition stays the committed one.
  ArtifactInstall: { sameBoot: 'interrupted', newBoot: 'interrupted' },
  // Same boot: the reboot has not happened; the issue says do nothing until it does (the update stays
  // pending, and begin() refuses another install meanwhile). New boot: the reboot happened; the next
  // state classifies it (trial pending, or bootloader fallback) before checking anything.
  ArtifactReboot: { sameBoot: null, newBoot: 'rebooted' },
  // Health checks only read; they start again from scratch, so a commit always follows a check that
  // passed in full. A new boot is another trial boot (or a fallback, which the state detects first).
  // recoveryEvent() gives up with checks-failed when the checks keep killing the process.
  ArtifactVerifyReboot: { sameBoot: 'retry', newBoot: 'retry' },
  // The decision (commit) was made after a passing check: carry it out. `mender commit` answers
  // "nothing to commit" when the first one completed; on a new boot the state first reads the
  // bootloader, and a fallback turns into bootloader-fell-back (rollback), never a commit.
  ArtifactCommit: { sameBoot: 'retry', newBoot: 'retry' },
  // The decision (rollback) was made: carry it out. `mender rollback` is idempotent: it answers
  // "nothing to roll back" when it already ran or the bootloader fell back meanwhile.
  ArtifactRollback: { sameBoot: 'retry', newBoot: 'retry' },
  // Same boot: the bad image still runs and the bootloader already points at the old one: ask for
  // the reboot again. New boot: verify where we landed.
  ArtifactRollbackReboot: { sameBoot: 'retry', newBoot: 'rebooted' },
  // A read-only check of the partition and the client state: repeat it.
  ArtifactVerifyRollbackReboot: { sameBoot: 'retry', newBoot: 'retry' },
  // Making sure nothing is pending (`mender rollback`) and recording the error are both idempotent.
  ArtifactFailure: { sameBoot: 'retry', newBoot: 'retry' },
} as const satisfies Record<PendingState, Recovery>;

/**
 * The event to apply when the state's side effect fails, or hangs and is stopped by the runner's
 * deadline. `null`: record the error (noteError) and stay; the next start-up retries. The fault
 * tests take "error" and "hang" of each step from here, and "killed" from RECOVERY.
 */
export const ON_ERROR = {
  ArtifactInstall: 'install-failed',
  // Undo the install rather than leave an update pending that an unplanned reboot would try.
  ArtifactReboot: 'reboot-failed',
  // A check that fails or does not answer in time is a failed check.
  ArtifactVerifyReboot: 'checks-failed',
  ArtifactCommit: 'commit-failed',
  ArtifactRollback: 'rollback-failed',
  // The bootloader already points at the old partition: any later reboot completes the rollback.
  ArtifactRollbackReboot: null,
  ArtifactVerifyRollbackReboot: 'rollback-failed',
  // Nothing is left to escalate to: the error is recorded and retried at the next start.
  ArtifactFailure: null,
} as const satisfies Record<PendingState, Event | null>;

/**
 * After this many recoveries in a row in one state, the state's give-up event is applied instead:
 * a step that kills the process every time (a crashing or hanging check) must not loop for ever.
 * Only the health checks have one: giving up on them means rolling back, which is always safe.
 * Commit and rollback have none: they are one client command each, and the bootloader's boot
 * limit ends a loop there anyway, because nothing commits the trial.
 */
export const GIVE_UP: Partial<Record<PendingState, Event>> = {
  ArtifactVerifyReboot: 'checks-failed',
};
export const MAX_RECOVERIES = 3;

/**
 * The event to apply to a journal found in `state` at start-up. `sameBoot`: the boot id now is the
 * one recorded when the journal entered `state`. `recoveries`: how many recoveries in a row already
 * happened in this state (the journal's history says).
 */
export function recoveryEvent(state: PendingState, sameBoot: boolean, recoveries: number): Event | null {
  const giveUp = GIVE_UP[state];
  if (giveUp !== undefined && recoveries >= MAX_RECOVERIES) return giveUp;
  const recovery: Recovery = RECOVERY[state];
  return sameBoot ? recovery.sameBoot : recovery.newBoot;
}
