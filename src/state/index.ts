// Public surface of the deployment state: the machine (a table), the journal and the ledger.
export {
  EVENTS, GIVE_UP, INITIAL_STATE, MAX_RECOVERIES, ON_ERROR, PENDING_STATES, RECOVERY, STATES, TERMINAL_STATES, TRANSITIONS,
  eventsOf, isEvent, isState, isTerminal, next, recoveryEvent,
  type Event, type EventOf, type NextOf, type PendingState, type Recovery, type State, type TerminalState,
} from './machine.js';
export {
  MAX_HISTORY, Deployment, Journal, applyEvent, assertNothingPending, isPending, parseJournal, recoveriesInState, recoveryFor, serializeJournal,
  type JournalRead, type Resumed,
} from './journal.js';
export {
  JOURNAL_FORMAT, healthSummarySchema,
  type BeginInput, type HealthSummary, type JournalPatch, type JournalRecord, type RecordedError, type Transition,
} from './record.js';
export {
  compact, DEFAULT_MAX_ENTRIES, LEDGER_FORMAT, OUTCOMES, Ledger, LedgerHistory, causeOf, ledgerEntriesFor, parseLedger,
  type LedgerEntry, type NewLedgerEntry, type Outcome,
} from './ledger.js';
export type { StateDeps, StateFile, StateStore } from './ports.js';
