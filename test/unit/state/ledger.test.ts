// The ledger: append and read back, the loop-stopping queries, the bound (rotation keeps the newest
// entries, and lines a newer version wrote), and a torn last line after a power cut.

import type { ErrorCode } from '../../../src/errors/index.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ledger, LedgerHistory, parseLedger, type NewLedgerEntry, type Outcome } from '../../../src/state/index.js';
import { memoryStore, testDeps } from '../../support/fakes/state-stores.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const entry = (artifactName: string, outcome: Outcome, manifestSha256: string | null = SHA_A): NewLedgerEntry => ({
  outcome, artifactName, sha256: null, manifestSha256, deploymentId: `dep-${artifactName}`, cause: null, error: null, stick: { label: 'UPDATES' },
});

describe('ledger', () => {
  it('appends entries with time, format and boot id, and reads them back in order', async () => {
    const store = memoryStore();
    const ledger = new Ledger(testDeps(store, 'boot-7'));
    await ledger.append(entry('r-1', 'installed'));
    await ledger.append(entry('r-1', 'committed'));
    const { entries, skippedLines } = await ledger.read();
    assert.equal(skippedLines, 0);
    assert.deepEqual(entries.map((e) => [e.v, e.at, e.bootId, e.outcome]), [
      [1, '2026-11-27T10:00:00.000Z', 'boot-7', 'installed'],
      [1, '2026-11-27T10:00:01.000Z', 'boot-7', 'committed'],
    ]);
    assert.equal(store.files.get('ledger.jsonl')?.split('\n').length, 3);
  });

  it('reads a line written before the header checksum existed: its sha256 kept, its header checksum null', () => {
    const old = { v: 1, at: '2026-11-01T10:00:00.000Z', outcome: 'rolled-back', artifactName: 'r-0', sha256: SHA_B, deploymentId: 'dep-0', cause: 'checks-failed', error: null, stick: {}, bootId: 'boot-1' };
    const { entries, skippedLines } = parseLedger(`${JSON.stringify(old)}\n`);
    assert.equal(skippedLines, 0);
    assert.deepEqual([entries[0]?.sha256, entries[0]?.manifestSha256], [SHA_B, null]);
    assert.equal(new LedgerHistory(entries).hasFailedBefore('r-0'), true);
  });

  it('answers whether an artifact failed or rolled back before, by name and by its manifest\'s checksum', async () => {
    const ledger = new Ledger(testDeps(memoryStore()));
    for (const e of [entry('r-1', 'committed'), entry('r-2', 'rolled-back'), entry('r-3', 'failed', SHA_B), entry('r-4', 'rejected')]) await ledger.append(e);
    const history = await ledger.read();
    assert.equal(history.hasFailedBefore('r-1'), false);
    assert.equal(history.hasFailedBefore('r-2'), true);
    assert.equal(history.hasFailedBefore('r-3'), true);
    assert.equal(history.hasFailedBefore('r-3', SHA_B), true);
    assert.equal(history.hasFailedBefore('r-3', SHA_A), false, 'another build with the same name');
    assert.equal(history.hasFailedBefore('r-4'), false, 'a policy rejection says nothing about the artifact itself');
    assert.equal(history.hasFailedBefore('never-seen'), false);
  });

  it('a failure that was the stick\'s (pulled, unreadable, changed after the check) does not count against the artifact', async () => {
    const ledger = new Ledger(testDeps(memoryStore()));
    const failedWith = (name: string, code: ErrorCode): NewLedgerEntry => ({ ...entry(name, 'failed', null), cause: 'install-failed', error: { code, message: 'm' } });
    for (const e of [failedWith('pulled', 'IO_ERROR'), failedWith('changed', 'INSTALL_SOURCE_CHANGED'), failedWith('gone', 'MEDIA_GONE'), failedWith('slow', 'MEDIA_TIMEOUT'), failedWith('bad', 'INSTALL_FAILED'), entry('rolled', 'rolled-back')]) await ledger.append(e);
    const history = await ledger.read();
    assert.deepEqual(history.failedArtifacts(), ['bad', 'rolled']);
    assert.equal(history.hasFailedBefore('pulled'), false);
    assert.equal(history.hasFailedBefore('bad'), true);
  });

  it('an install cut short (power cut, daemon stopped) or whose reboot command failed, then rolled back, does not count against the artifact', async () => {
    const ledger = new Ledger(testDeps(memoryStore()));
    await ledger.append({ ...entry('cut', 'rolled-back'), cause: 'interrupted' });
    await ledger.append({ ...entry('no-reboot', 'rolled-back'), cause: 'reboot-failed' });
    await ledger.append({ ...entry('bad', 'rolled-back'), cause: 'checks-failed' });
    const history = await ledger.read();
    assert.deepEqual(history.failedArtifacts(), ['bad']);
    assert.equal(history.hasFailedBefore('cut'), false);
    assert.equal(history.hasFailedBefore('no-reboot'), false);
  });

  it('gives the last outcome, overall and per artifact, and the newest entries first', async () => {
    const ledger = new Ledger(testDeps(memoryStore()));
    for (const e of [entry('r-1', 'installed'), entry('r-1', 'committed'), entry('r-2', 'installed'), entry('r-2', 'rolled-back')]) await ledger.append(e);
    const history = await ledger.read();
    assert.equal(history.lastOutcome()?.outcome, 'rolled-back');
    assert.equal(history.lastOutcome('r-1')?.outcome, 'committed');
    assert.equal(history.lastOutcome('never-seen'), null);
    assert.deepEqual(history.history(3).map((e) => `${e.artifactName} ${e.outcome}`), ['r-2 rolled-back', 'r-2 installed', 'r-1 committed']);
    assert.deepEqual(history.history(0), []);
    assert.equal(new LedgerHistory([]).lastOutcome(), null);
  });

  it('stays bounded: rotation keeps the newest maxEntries entries', async () => {
    const store = memoryStore();
    const ledger = new Ledger(testDeps(store), 5);
    for (let i = 1; i <= 12; i += 1) await ledger.append(entry(`r-${i}`, 'committed'));
    const { entries } = await ledger.read();
    assert.deepEqual(entries.map((e) => e.artifactName), ['r-8', 'r-9', 'r-10', 'r-11', 'r-12']);
    assert.ok(store.log.includes('replace ledger.jsonl'), 'rotation rewrites the file atomically');
  });

  it('keeps, through rotation, lines written by a newer version', async () => {
    const future = JSON.stringify({ v: 2, outcome: 'quarantined' });
    const store = memoryStore({ 'ledger.jsonl': `${future}\n` });
    const ledger = new Ledger(testDeps(store), 3);
    await ledger.append(entry('r-1', 'committed'));
    await ledger.append(entry('r-2', 'committed'));
    assert.equal((await ledger.read()).skippedLines, 1);
    assert.ok(store.files.get('ledger.jsonl')?.startsWith(future));
  });

  it('tolerates a torn last line, and the next entry starts on a line of its own', async () => {
    const store = memoryStore();
    const ledger = new Ledger(testDeps(store));
    await ledger.append(entry('r-1', 'installed'));
    store.files.set('ledger.jsonl', `${store.files.get('ledger.jsonl') ?? ''}{"v":1,"at":"2026-11-27T1`);
    assert.deepEqual(parseLedger(store.files.get('ledger.jsonl') ?? '').skippedLines, 1);
    await ledger.append(entry('r-1', 'committed'));
    const history = await ledger.read();
    assert.equal(history.skippedLines, 1);
    assert.deepEqual(history.entries.map((e) => e.outcome), ['installed', 'committed']);
  });

  it('reads an absent ledger as empty', async () => {
    const history = await new Ledger(testDeps(memoryStore())).read();
    assert.deepEqual(history.entries, []);
    assert.equal(history.skippedLines, 0);
  });
});
