// The journal: round trips, persisted before each side effect, the install guard, unreadable files
// (corrupt, truncated at every byte, unknown versions) reported and never read as "nothing
// pending", and start-up recovery for every pending state on the same and on a new boot.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpdaterError, type ErrorCode } from '../../../src/errors/index.js';
import {
  Journal, Ledger, MAX_HISTORY, MAX_RECOVERIES, PENDING_STATES, RECOVERY, parseJournal, serializeJournal,
  type BeginInput, type Deployment, type Event, type JournalRecord, type State,
} from '../../../src/state/index.js';
import { memoryStore, pathTo, testDeps, type MemoryStore } from '../../support/fakes/state-stores.js';

const SHA = 'a'.repeat(64);
const INPUT: BeginInput = {
  artifactName: 'release-2.0',
  sourcePath: '/run/usb-updater/media/sdb1/release-2.0.mender',
  stick: { label: 'UPDATES', uuid: '1234-ABCD', vendorId: '0781', productId: '5567', serial: 'X1' },
  size: 4096,
  partitionBefore: '/dev/mmcblk0p2',
  partitionAfter: '/dev/mmcblk0p3',
};

function setup(store: MemoryStore = memoryStore(), bootId = 'boot-1'): { journal: Journal; ledger: Ledger; store: MemoryStore } {
  const deps = testDeps(store, bootId);
  const ledger = new Ledger(deps);
  return { journal: new Journal(deps, ledger), ledger, store };
}

async function walk(deployment: Deployment, events: readonly Event[]): Promise<JournalRecord> {
  for (const event of events) await deployment.advance(event);
  return deployment.record;
}

/** A journal file left in `state` on boot-1, as the store holds it. */
async function storeIn(state: State): Promise<MemoryStore> {
  const { journal, store } = setup();
  await walk(await journal.begin(INPUT), pathTo(state));
  return store;
}

const rejectsWith = (code: ErrorCode) => (err: unknown): boolean => {
  assert.ok(err instanceof UpdaterError, String(err));
  assert.equal(err.code, code, err.message);
  return true;
};

describe('journal record', () => {
  it('begins in ArtifactInstall with every field, persisted before begin() returns', async () => {
    const { journal, store } = setup();
    const deployment = await journal.begin(INPUT);
    const saved = parseJournal(store.files.get('journal.json') ?? '');
    assert.deepEqual(saved, deployment.record);
    assert.deepEqual(saved, {
      format: 1,
      deploymentId: 'dep-1',
      artifactName: 'release-2.0',
      sha256: null,
      manifestSha256: null,
      size: 4096,
      stick: INPUT.stick,
      sourcePath: INPUT.sourcePath,
      bootIdAtInstall: 'boot-1',
      partitionBefore: '/dev/mmcblk0p2',
      partitionAfter: '/dev/mmcblk0p3',
      startedAt: '2026-11-27T10:00:00.000Z',
      updatedAt: '2026-11-27T10:00:00.000Z',
      state: 'ArtifactInstall',
      history: [{ state: 'ArtifactInstall', event: null, at: '2026-11-27T10:00:00.000Z', bootId: 'boot-1' }],
      lastError: null,
      classification: null,
      bootFacts: null,
      health: null,
    });
  });

  it('round-trips through serialize and parse in every state', async () => {
    for (const state of [...PENDING_STATES, 'Committed', 'RolledBack', 'Failed'] as const) {
      const text = (await storeIn(state)).files.get('journal.json') ?? '';
      assert.equal(serializeJournal(parseJournal(text)), text, state);
    }
  });

  it('reads a journal written before the boot classification fields existed, as not yet classified', async () => {
    const text = (await storeIn('ArtifactVerifyReboot')).files.get('journal.json') ?? '';
    const older = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['classification', 'bootFacts', 'health']) delete older[key];
    const parsed = parseJournal(JSON.stringify(older));
    assert.equal(parsed.state, 'ArtifactVerifyReboot');
    assert.deepEqual([parsed.classification, parsed.bootFacts, parsed.health], [null, null, null]);
  });

  it('reads a journal written before the manifest checksum existed (with the whole stream\'s sha256) as it was', async () => {
    const text = (await storeIn('ArtifactReboot')).files.get('journal.json') ?? '';
    const older: Record<string, unknown> = { ...(JSON.parse(text) as Record<string, unknown>), sha256: SHA };
    delete older['manifestSha256'];
    const parsed = parseJournal(JSON.stringify(older));
    assert.deepEqual([parsed.sha256, parsed.manifestSha256], [SHA, null]);
  });

  it('advance() persists the new state and patch before it returns, then writes the ledger', async () => {
    const { journal, store } = setup();
    const deployment = await journal.begin(INPUT);
    const record = await deployment.advance('installed', { size: 4096 });
    assert.deepEqual(parseJournal(store.files.get('journal.json') ?? ''), record);
    assert.equal(record.state, 'ArtifactReboot');
    assert.equal(record.size, 4096);
    assert.deepEqual(store.log, ['replace journal.json', 'replace journal.json', 'append ledger.jsonl']);
  });

  it('refuses an impossible event and leaves the journal as it was', async () => {
    const { journal, store } = setup();
    const deployment = await journal.begin(INPUT);
    const before = store.files.get('journal.json');
    await assert.rejects(deployment.advance('committed'), rejectsWith('STATE_BAD_TRANSITION'));
    assert.equal(store.files.get('journal.json'), before);
    assert.equal(deployment.record.state, 'ArtifactInstall');
  });

  it('records an error without changing state', async () => {
    const { journal, store } = setup();
    const deployment = await journal.begin(INPUT);
    await deployment.advance('installed');
    await deployment.noteError('REBOOT_FAILED', 'systemctl reboot: exit 1');
    const saved = parseJournal(store.files.get('journal.json') ?? '');
    assert.equal(saved.state, 'ArtifactReboot');
    assert.deepEqual(saved.lastError, { code: 'REBOOT_FAILED', message: 'systemctl reboot: exit 1' });
  });

  it('keeps the history bounded, with its first transition', async () => {
    const { journal } = setup();
    const deployment = await journal.begin(INPUT);
    const record = await walk(deployment, ['installed-no-reboot', ...Array<Event>(MAX_HISTORY + 20).fill('retry')]);
    assert.equal(record.history.length, MAX_HISTORY);
    assert.equal(record.history[0]?.state, 'ArtifactInstall');
  });
});

describe('install guard', () => {
  it('refuses to begin while a deployment is pending, in every pending state', async () => {
    for (const state of PENDING_STATES) {
      const { journal } = setup(await storeIn(state));
      await assert.rejects(journal.begin(INPUT), rejectsWith('INSTALL_PENDING_UPDATE'), state);
    }
  });

  it('begins again once the last deployment ended', async () => {
    for (const state of ['Committed', 'RolledBack', 'Failed'] as const) {
      const { journal } = setup(await storeIn(state));
      assert.equal((await journal.begin(INPUT)).record.state, 'ArtifactInstall', state);
    }
  });
});

describe('unreadable journal', () => {
  const cases: [string, string, ErrorCode][] = [
    ['not JSON', 'garbage', 'STATE_CORRUPT'],
    ['empty (a crash before any write reached the disk)', '', 'STATE_CORRUPT'],
    ['an array', '[]', 'STATE_CORRUPT'],
    ['no format version', '{"state":"ArtifactInstall"}', 'STATE_CORRUPT'],
    ['a newer format version', '{"format":2,"anything":true}', 'STATE_VERSION_UNKNOWN'],
  ];
  for (const [name, text, code] of cases) {
    it(`reports ${name} as ${code}, and refuses installs and recovery`, async () => {
      const { journal } = setup(memoryStore({ 'journal.json': text }));
      const read = await journal.read();
      assert.equal(read.status, 'unreadable');
      await assert.rejects(journal.begin(INPUT), rejectsWith(code));
      await assert.rejects(journal.resume(), rejectsWith(code));
    });
  }

  it('reports a journal cut at every byte as STATE_CORRUPT, never as nothing pending', async () => {
    const text = (await storeIn('ArtifactCommit')).files.get('journal.json') ?? '';
    // The last byte is a newline: cutting it still leaves a complete object.
    for (let cut = 0; cut < text.length - 1; cut += 1) {
      assert.throws(() => parseJournal(text.slice(0, cut)), rejectsWith('STATE_CORRUPT'), `cut at ${cut}`);
    }
  });

  it('reports a state written by a newer version as STATE_VERSION_UNKNOWN', async () => {
    const text = (await storeIn('ArtifactCommit')).files.get('journal.json') ?? '';
    assert.throws(() => parseJournal(text.replaceAll('"ArtifactCommit"', '"ArtifactFutureState"')), rejectsWith('STATE_VERSION_UNKNOWN'));
  });

  it('reports a missing field or a state that disagrees with its history as STATE_CORRUPT', async () => {
    const record = parseJournal((await storeIn('ArtifactCommit')).files.get('journal.json') ?? '');
    assert.throws(() => parseJournal(JSON.stringify({ ...record, stick: undefined })), rejectsWith('STATE_CORRUPT'));
    assert.throws(() => parseJournal(JSON.stringify({ ...record, state: 'ArtifactReboot' })), rejectsWith('STATE_CORRUPT'));
    assert.throws(() => parseJournal(JSON.stringify({ ...record, sha256: 'not-hex' })), rejectsWith('STATE_CORRUPT'));
  });

  it('reports a history with a transition the table does not allow as STATE_CORRUPT', async () => {
    const record = parseJournal((await storeIn('ArtifactReboot')).files.get('journal.json') ?? '');
    const forged = { ...record, state: 'Committed', history: [record.history[0], { ...record.history[1], state: 'Committed', event: 'committed' }] };
    assert.throws(() => parseJournal(JSON.stringify(forged)), rejectsWith('STATE_CORRUPT'));
    assert.throws(() => parseJournal(JSON.stringify({ ...record, history: record.history.slice(1) })), rejectsWith('STATE_CORRUPT'));
  });

  it('is set aside, with a ledger entry, only on request, and then installs may begin', async () => {
    const store = memoryStore({ 'journal.json': '{"format":1,' });
    const { journal, ledger } = setup(store);
    assert.equal(await journal.setAsideUnreadable(), 'journal.json.bad');
    assert.equal(store.files.get('journal.json.bad'), '{"format":1,');
    const entry = (await ledger.read()).lastOutcome();
    assert.equal(entry?.outcome, 'failed');
    assert.equal(entry?.cause, 'journal-unreadable');
    assert.equal(entry?.error?.code, 'STATE_CORRUPT');
    assert.equal((await journal.begin(INPUT)).record.state, 'ArtifactInstall');
  });

  it('refuses to set aside a readable journal', async () => {
    const { journal } = setup(await storeIn('ArtifactCommit'));
    await assert.rejects(journal.setAsideUnreadable(), rejectsWith('STATE_BAD_TRANSITION'));
  });
});

describe('start-up recovery', () => {
  it('is quiet with no journal or a finished one', async () => {
    assert.equal((await setup().journal.resume()).pending, null);
    assert.equal((await setup(await storeIn('Committed')).journal.resume()).pending, null);
  });

  for (const state of PENDING_STATES) {
    it(`${state}: applies RECOVERY on the same boot and on a new one`, async () => {
      for (const [bootId, expected] of [['boot-1', RECOVERY[state].sameBoot], ['boot-2', RECOVERY[state].newBoot]] as const) {
        const resumed = (await setup(await storeIn(state), bootId).journal.resume()).pending;
        assert.equal(resumed?.deployment.record.state, state);
        assert.equal(resumed.recovery, expected, bootId);
        if (expected !== null) await resumed.deployment.advance(expected);
      }
    });
  }

  it('still resumes a pending deployment when the ledger cannot be written, and says so', async () => {
    const store = await storeIn('ArtifactInstall');
    const full = { ...store, append: () => Promise.reject(new UpdaterError('STATE_WRITE_FAILED', 'ledger.jsonl: ENOSPC')) };
    // The journal went on to ArtifactReboot, but the ledger never heard of the install.
    const record = parseJournal(store.files.get('journal.json') ?? '');
    store.files.set('journal.json', serializeJournal({ ...record, state: 'ArtifactReboot', history: [...record.history, { state: 'ArtifactReboot', event: 'installed', at: record.updatedAt, bootId: 'boot-1' }] }));
    const deps = testDeps(full, 'boot-2');
    const resumed = await new Journal(deps, new Ledger(deps)).resume();
    assert.equal(resumed.pending?.recovery, 'rebooted');
    assert.equal(resumed.ledgerError?.code, 'STATE_WRITE_FAILED');
  });

  it('compares the boot id of the current state, not of the install', async () => {
    // Rebooted (boot-2) into the trial, then a power cut during the checks: boot-2 is the same boot.
    const store = await storeIn('ArtifactReboot');
    const first = (await setup(store, 'boot-2').journal.resume()).pending;
    await first?.deployment.advance('rebooted');
    const again = (await setup(store, 'boot-2').journal.resume()).pending;
    assert.equal(again?.deployment.record.state, 'ArtifactVerifyReboot');
    assert.equal(again.deployment.record.history.at(-1)?.bootId, 'boot-2');
    assert.equal(again.deployment.record.bootIdAtInstall, 'boot-1');
  });

  it('rolls back after health checks killed the process MAX_RECOVERIES times', async () => {
    const store = await storeIn('ArtifactVerifyReboot');
    for (let n = 0; n <= MAX_RECOVERIES; n += 1) {
      const resumed = (await setup(store, `boot-${n + 2}`).journal.resume()).pending;
      const expected = n < MAX_RECOVERIES ? 'retry' : 'checks-failed';
      assert.equal(resumed?.recovery, expected, `recovery ${n}`);
      if (resumed?.recovery) await resumed.deployment.advance(resumed.recovery);
    }
    assert.equal(parseJournal(store.files.get('journal.json') ?? '').state, 'ArtifactRollback');
  });
});

describe('journal and ledger together', () => {
  it('records installed then committed for a good update', async () => {
    const { journal, ledger } = setup();
    await walk(await journal.begin({ ...INPUT, manifestSha256: SHA }), ['installed', 'rebooted', 'checks-passed', 'committed']);
    const history = await ledger.read();
    assert.deepEqual(history.entries.map((e) => [e.outcome, e.cause, e.deploymentId]), [['installed', null, 'dep-1'], ['committed', null, 'dep-1']]);
    assert.equal(history.hasFailedBefore('release-2.0'), false);
  });

  it('records a bootloader fallback as rolled back by the bootloader, with the last error', async () => {
    const { journal, ledger } = setup();
    const deployment = await journal.begin({ ...INPUT, manifestSha256: SHA });
    await walk(deployment, ['installed', 'rebooted', 'bootloader-fell-back']);
    await deployment.advance('rolled-back', { lastError: { code: 'HEALTH_CHECK_FAILED', message: 'running /dev/mmcblk0p2 with nothing pending' } });
    const last = (await ledger.read()).lastOutcome('release-2.0');
    assert.equal(last?.outcome, 'rolled-back');
    assert.equal(last?.cause, 'bootloader-fell-back');
    assert.equal(last?.error?.code, 'HEALTH_CHECK_FAILED');
    assert.ok((await ledger.read()).hasFailedBefore('release-2.0', SHA));
  });

  it('catches up at start-up on an outcome a crash kept out of the ledger, once', async () => {
    const store = await storeIn('ArtifactCommit');
    // The journal reached Committed, the process died before its ledger append.
    const record = parseJournal(store.files.get('journal.json') ?? '');
    const committed = { ...record, state: 'Committed' as const, history: [...record.history, { state: 'Committed' as const, event: 'committed' as const, at: record.updatedAt, bootId: 'boot-1' }] };
    store.files.set('journal.json', serializeJournal(committed));
    for (let run = 0; run < 2; run += 1) assert.equal((await setup(store).journal.resume()).pending, null);
    const outcomes = (await setup(store).ledger.read()).entries.map((e) => e.outcome);
    assert.deepEqual(outcomes, ['installed', 'committed']);
  });
});
