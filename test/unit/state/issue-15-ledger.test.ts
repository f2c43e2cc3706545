// Issue 15, class 5: a ledger that never blocks. Compaction keeps every verdict against an artifact
// while the file stays bounded whatever is appended; a ledger the store refuses (tens of MB, which
// made every install fail with STATE_CORRUPT) reads as empty and is set aside, with a log line, at
// the next append.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compact, Ledger, LedgerHistory, parseLedger, type NewLedgerEntry, type Outcome } from '../../../src/state/index.js';
import { fileStateStore } from '../../../src/system/state/state-store.js';
import { memoryStore, testDeps } from '../../support/fakes/state-stores.js';

const OUTCOME_LIST: Outcome[] = ['installed', 'committed', 'rolled-back', 'failed', 'rejected'];
const entry = (artifactName: string, outcome: Outcome, cause: string | null = null): NewLedgerEntry => ({
  outcome, artifactName, sha256: null, manifestSha256: artifactName.padEnd(64, '0').slice(0, 64), deploymentId: `dep-${artifactName}`, cause, error: null, stick: { label: 'UPDATES' },
});

describe('issue 15: ledger compaction', () => {
  it('keeps every verdict and stays bounded, on generated histories', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ name: fc.integer({ min: 0, max: 40 }), outcome: fc.constantFrom(...OUTCOME_LIST), cause: fc.constantFrom(null, 'checks-failed', 'interrupted') }), { maxLength: 120 }),
        fc.integer({ min: 1, max: 20 }),
        async (steps, max) => {
          const store = memoryStore();
          const ledger = new Ledger(testDeps(store), max);
          const all: string[] = [];
          for (const step of steps) all.push(JSON.stringify(await ledger.append(entry(`r-${step.name}`, step.outcome, step.cause))));
          const kept = (store.files.get('ledger.jsonl') ?? '').split('\n').filter((l) => l !== '');
          assert.ok(kept.length <= 2 * max, `${kept.length} lines for at most ${max} entries`);
          const before = new LedgerHistory(parseLedger(all.join('\n')).entries);
          const after = await ledger.read();
          // Every verdict while there are at most `max` artifacts with one (beyond that, the newest
          // `max` of them): never a verdict that was not there.
          const failed = before.failedArtifacts();
          assert.ok(after.failedArtifacts().every((name) => failed.includes(name)));
          if (failed.length <= max) assert.deepEqual(after.failedArtifacts().sort(), [...failed].sort());
          else assert.ok(after.failedArtifacts().length >= max);
          // The newest entries are kept whole, in order.
          assert.deepEqual(kept.slice(-Math.min(max, all.length)), all.slice(-Math.min(max, all.length)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps lines a newer version wrote among the newest, and drops old unreadable ones', () => {
    const lines = ['{"v":2,"future":true}', JSON.stringify({ v: 9 }), ...Array.from({ length: 3 }, (_, i) => `{"v":2,"n":${i}}`)];
    assert.deepEqual(compact(lines, 3), lines.slice(-3));
  });

  it('20,000 appends with the default bound leave a small file that still names every failure', async () => {
    const store = memoryStore();
    const ledger = new Ledger(testDeps(store), 100);
    for (let i = 0; i < 20_000; i++) await ledger.append(entry(`r-${i}`, i % 500 === 0 ? 'failed' : 'committed', 'checks-failed'));
    const text = store.files.get('ledger.jsonl') ?? '';
    assert.ok(text.split('\n').length <= 201);
    assert.equal((await ledger.read()).failedArtifacts().length, 40);
  });

  it('cuts long error messages so that no line is large', async () => {
    const store = memoryStore();
    const ledger = new Ledger(testDeps(store));
    await ledger.append({ ...entry('r-1', 'failed'), error: { code: 'INSTALL_FAILED', message: 'x'.repeat(1_000_000) } });
    assert.ok((store.files.get('ledger.jsonl') ?? '').length < 4000);
  });
});

describe('issue 15: an oversized ledger never blocks', () => {
  it('a ledger of 40 MB reads as empty, and the next append sets it aside with a log line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    try {
      const line = JSON.stringify({ v: 1, at: '2026-01-01T00:00:00Z', outcome: 'committed', artifactName: 'old', sha256: null, deploymentId: null, cause: null, error: null, stick: {}, bootId: 'b' });
      await writeFile(join(dir, 'ledger.jsonl'), `${line}\n`.repeat(Math.ceil(40e6 / (line.length + 1))));
      const notices: string[] = [];
      const ledger = new Ledger(testDeps(fileStateStore(dir)), undefined, (m) => notices.push(m));
      const history = await ledger.read();
      assert.equal(history.entries.length, 0);
      assert.match(history.unreadable ?? '', /bytes/);
      await ledger.append(entry('r-2', 'installed'));
      assert.equal(notices.length, 1);
      assert.match(notices[0] ?? '', /set aside as .*ledger\.jsonl\.bad/);
      assert.deepEqual((await ledger.read()).entries.map((e) => e.artifactName), ['r-2']);
      assert.ok((await readFile(join(dir, 'ledger.jsonl.bad'))).length > 40e6 - 1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
