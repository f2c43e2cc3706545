// The deployment table: every state reachable and able to finish, next() total over every
// (state, event) pair, a recovery for every pending state, the safety properties as graph
// properties (no commit without checks-passed, no commit once a rollback is decided), and the
// persisted names pinned (append only).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpdaterError } from '../../../src/errors/index.js';
import {
  EVENTS, GIVE_UP, INITIAL_STATE, MAX_RECOVERIES, ON_ERROR, PENDING_STATES, RECOVERY, STATES, TERMINAL_STATES,
  eventsOf, isTerminal, next, recoveryEvent, type Event, type State,
} from '../../../src/state/index.js';
import { edges, pathTo } from '../../support/fakes/state-stores.js';

/** States reachable from `from` over the edges that `keep` keeps. */
function reachable(from: State, keep: (event: Event) => boolean = () => true): Set<State> {
  const seen = new Set<State>([from]);
  for (const state of seen) {
    for (const event of eventsOf(state).filter(keep)) seen.add(next(state, event));
  }
  return seen;
}

describe('state machine table', () => {
  it('pins the persisted state and event names: new ones are appended, none renamed or removed', () => {
    assert.deepEqual(STATES.slice(0, 11), [
      'ArtifactInstall', 'ArtifactReboot', 'ArtifactVerifyReboot', 'ArtifactCommit', 'ArtifactRollback', 'ArtifactRollbackReboot',
      'ArtifactVerifyRollbackReboot', 'ArtifactFailure', 'Committed', 'RolledBack', 'Failed',
    ]);
    for (const event of [
      'installed', 'installed-no-reboot', 'install-failed', 'interrupted', 'rebooted', 'reboot-failed', 'checks-passed', 'checks-failed',
      'bootloader-fell-back', 'retry', 'committed', 'commit-failed', 'rolled-back', 'rollback-needs-reboot', 'rollback-failed', 'failure-recorded',
    ] as const) {
      assert.ok(EVENTS.includes(event), event);
    }
  });

  it('reaches every state from the initial one', () => {
    assert.deepEqual([...reachable(INITIAL_STATE)].sort(), [...STATES].sort());
  });

  it('can finish from every state: a terminal state is reachable from each', () => {
    for (const state of STATES) {
      assert.ok([...reachable(state)].some(isTerminal), `${state} cannot reach a terminal state`);
    }
  });

  it('terminal states accept no event; pending states accept at least one', () => {
    for (const state of STATES) assert.equal(eventsOf(state).length === 0, isTerminal(state), state);
    assert.deepEqual([...TERMINAL_STATES, ...PENDING_STATES].sort(), [...STATES].sort());
  });

  it('next() is total: each (state, event) pair gives the table entry or STATE_BAD_TRANSITION', () => {
    const table = new Map(edges().map(([from, event, to]) => [`${from} ${event}`, to]));
    for (const state of STATES) {
      for (const event of EVENTS) {
        const to = table.get(`${state} ${event}`);
        if (to === undefined) {
          assert.throws(() => next(state, event), (err: unknown) => err instanceof UpdaterError && err.code === 'STATE_BAD_TRANSITION');
        } else {
          assert.equal(next(state, event), to);
        }
      }
    }
  });

  it('refuses an impossible pair at compile time', () => {
    // @ts-expect-error: Committed is terminal and accepts no event.
    assert.throws(() => next('Committed', 'committed'));
    assert.equal(next('ArtifactCommit', 'committed') satisfies 'Committed', 'Committed');
  });

  it('never commits without a passing check: without checks-passed, Committed is unreachable', () => {
    assert.ok(!reachable(INITIAL_STATE, (e) => e !== 'checks-passed').has('Committed'));
  });

  it('never loses a rollback: once in ArtifactRollback (or past it), Committed is unreachable', () => {
    for (const state of ['ArtifactRollback', 'ArtifactRollbackReboot', 'ArtifactVerifyRollbackReboot', 'ArtifactFailure'] as const) {
      assert.ok(!reachable(state).has('Committed'), state);
    }
  });

  it('after a bootloader fallback, rolls back: the event leads only to ArtifactRollback', () => {
    for (const [from, event, to] of edges()) {
      if (event === 'bootloader-fell-back') assert.equal(to, 'ArtifactRollback', from);
    }
  });
});

describe('recovery at start-up', () => {
  it('has a recovery for every pending state, and only for those, valid in that state', () => {
    assert.deepEqual(Object.keys(RECOVERY).sort(), [...PENDING_STATES].sort());
    for (const state of PENDING_STATES) {
      const { sameBoot, newBoot } = RECOVERY[state];
      assert.doesNotThrow(() => next(state, newBoot), state);
      if (sameBoot !== null) assert.doesNotThrow(() => next(state, sameBoot), state);
    }
  });

  it('does nothing on the boot of the install before the reboot, and verifies after it', () => {
    assert.equal(recoveryEvent('ArtifactReboot', true, 0), null);
    assert.equal(recoveryEvent('ArtifactReboot', false, 0), 'rebooted');
  });

  it('rolls back an interrupted install on any boot: an install never seen to succeed is never committed', () => {
    assert.equal(recoveryEvent('ArtifactInstall', true, 0), 'interrupted');
    assert.equal(recoveryEvent('ArtifactInstall', false, 0), 'interrupted');
  });

  it('gives up on health checks that keep killing the process, and rolls back', () => {
    for (let n = 0; n < MAX_RECOVERIES; n += 1) assert.equal(recoveryEvent('ArtifactVerifyReboot', false, n), 'retry');
    assert.equal(recoveryEvent('ArtifactVerifyReboot', false, MAX_RECOVERIES), 'checks-failed');
    for (const state of PENDING_STATES) {
      const event = GIVE_UP[state];
      if (event !== undefined) assert.doesNotThrow(() => next<State, Event>(state, event), state);
    }
  });

  it('keeps a decided commit or rollback on every boot', () => {
    for (const sameBoot of [true, false]) {
      assert.equal(recoveryEvent('ArtifactCommit', sameBoot, 10), 'retry');
      assert.equal(recoveryEvent('ArtifactRollback', sameBoot, 10), 'retry');
    }
  });

  it('has an error event (or none) for every pending state, and no error ever leads to a commit', () => {
    assert.deepEqual(Object.keys(ON_ERROR).sort(), [...PENDING_STATES].sort());
    for (const state of PENDING_STATES) {
      const event: Event | null = ON_ERROR[state];
      if (event !== null) assert.ok(!reachable(next<State, Event>(state, event)).has('Committed'), state);
    }
  });

  it('every state has a shortest path from the initial state (the fault tests start there)', () => {
    for (const state of STATES) {
      let at: State = INITIAL_STATE;
      for (const event of pathTo(state)) at = next<State, Event>(at, event);
      assert.equal(at, state);
    }
  });
});
