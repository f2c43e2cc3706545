// The file store on a real folder: atomic replacement checked by stopping the process at every
// step (the file then holds the old or the new content, whole), a full or read-only disk at every
// step (error surfaced, old content intact), appends torn by a full disk, and atomic rotation.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UpdaterError } from '../../../../src/errors/index.js';
import { Journal, Ledger, parseJournal, type NewLedgerEntry, type StateStore } from '../../../../src/state/index.js';
import { fileStateStore, type FileOps } from '../../../../src/system/state/state-store.js';
import { faultyOps, testDeps, type Fault } from '../../../support/fakes/state-stores.js';
import { withTempDir } from '../../../support/harness/temp.js';

const OLD = '{"old":true}\n';
const NEW = `{"new":"${'x'.repeat(5000)}"}\n`;

/** The steps an operation takes when nothing fails. */
async function stepsOf(prepare: (store: StateStore) => Promise<void>, operation: (store: StateStore) => Promise<unknown>): Promise<string[]> {
  return withTempDir(async (dir) => {
    await prepare(fileStateStore(dir));
    const ops = faultyOps(Infinity, 'kill');
    await operation(fileStateStore(dir, ops));
    return ops.steps;
  });
}

/** Runs `operation` with `fault` at each of its steps in a fresh folder, then calls `check` with a clean store. */
async function atEveryStep(
  fault: Fault,
  prepare: (store: StateStore) => Promise<void>,
  operation: (store: StateStore) => Promise<unknown>,
  check: (store: StateStore, failedStep: string, beforeOrAt: (step: string) => boolean, dir: string) => Promise<void>,
): Promise<number> {
  const steps = await stepsOf(prepare, operation);
  for (const [index, step] of steps.entries()) {
    await withTempDir(async (dir) => {
      await prepare(fileStateStore(dir));
      const ops: FileOps = faultyOps(index, fault);
      // After a kill, what the dead process would have reported does not matter; a fault must be
      // reported as a failed write.
      await assert.rejects(operation(fileStateStore(dir, ops)), (err: unknown) => {
        assert.ok(err instanceof UpdaterError, String(err));
        if (fault !== 'kill') assert.equal(err.code, 'STATE_WRITE_FAILED', `${step}: ${err.message}`);
        return true;
      });
      await check(fileStateStore(dir), step, (other) => index <= steps.indexOf(other), dir);
    });
  }
  return steps.length;
}

const ledgerEntry = (artifactName: string): NewLedgerEntry => ({
  outcome: 'committed', artifactName, sha256: null, manifestSha256: null, deploymentId: null, cause: null, error: null, stick: {},
});

describe('file state store', () => {
  it('reads an absent file as null, and what it wrote, appended and set aside', () =>
    withTempDir(async (dir) => {
      const store = fileStateStore(join(dir, 'state'));
      assert.equal(await store.read('journal.json'), null);
      await store.replace('journal.json', OLD);
      await store.replace('journal.json', NEW);
      assert.equal(await store.read('journal.json'), NEW);
      await store.append('ledger.jsonl', 'a\n');
      await store.append('ledger.jsonl', 'b\n');
      assert.equal(await store.read('ledger.jsonl'), 'a\nb\n');
      assert.equal(await store.setAside('journal.json'), join(dir, 'state', 'journal.json.bad'));
      assert.equal(await store.read('journal.json'), null);
      assert.deepEqual(readdirSync(join(dir, 'state')).sort(), ['journal.json.bad', 'ledger.jsonl']);
    }));

  it('refuses a state file that is not a regular file', () =>
    withTempDir(async (dir) => {
      mkdirSync(join(dir, 'journal.json'));
      await assert.rejects(fileStateStore(dir).read('journal.json'), (err: unknown) => err instanceof UpdaterError && err.code === 'STATE_CORRUPT');
    }));

  it('replace: a kill at any step leaves the old or the new content whole; before the rename, the old', async () => {
    const prepare = (store: StateStore): Promise<void> => store.replace('journal.json', OLD);
    const steps = await atEveryStep('kill', prepare, (store) => store.replace('journal.json', NEW), async (store, step, beforeOrAt) => {
      const text = await store.read('journal.json');
      assert.ok(text === OLD || text === NEW, `${step}: ${text?.slice(0, 40)}`);
      if (beforeOrAt('rename journal.json.tmp')) assert.equal(text, OLD, `killed at ${step}`);
    });
    assert.ok(steps >= 8, `temp open, write, sync, close, rename, dir open, sync, close: ${steps}`);
  });

  for (const fault of ['ENOSPC', 'EROFS', 'EIO'] as const) {
    it(`replace: ${fault} at any step is surfaced; the file stays whole, and no temp file is left`, async () => {
      await atEveryStep(fault, (store) => store.replace('journal.json', OLD), (store) => store.replace('journal.json', NEW), async (store, step, beforeOrAt, dir) => {
        // Up to the rename, the old content; after it (syncing the folder) the new one, whole.
        assert.equal(await store.read('journal.json'), beforeOrAt('rename journal.json.tmp') ? OLD : NEW, step);
        assert.deepEqual(readdirSync(dir), ['journal.json'], step);
      });
    });
  }

  it('append: a full disk mid-write is surfaced and leaves a torn line that the ledger skips', () =>
    withTempDir(async (dir) => {
      const ledger = new Ledger(testDeps(fileStateStore(dir)));
      await ledger.append(ledgerEntry('r-1'));
      const full = new Ledger(testDeps(fileStateStore(dir, faultyOps('write ledger.jsonl', 'ENOSPC'))));
      await assert.rejects(full.append(ledgerEntry('r-2')), (err: unknown) => err instanceof UpdaterError && err.code === 'STATE_WRITE_FAILED');
      await ledger.append(ledgerEntry('r-3'));
      const history = await ledger.read();
      assert.equal(history.skippedLines, 1);
      assert.deepEqual(history.entries.map((e) => e.artifactName), ['r-1', 'r-3']);
    }));

  it('ledger rotation: a kill at any step leaves the whole old ledger or the whole rotated one', async () => {
    const ledgerOf = (store: StateStore): Ledger => new Ledger(testDeps(store), 3);
    const prepare = async (store: StateStore): Promise<void> => {
      for (const name of ['r-1', 'r-2', 'r-3']) await ledgerOf(store).append(ledgerEntry(name));
    };
    await atEveryStep('kill', prepare, (store) => ledgerOf(store).append(ledgerEntry('r-4')), async (store, step) => {
      const names = (await ledgerOf(store).read()).entries.map((e) => e.artifactName).join(' ');
      assert.ok(names === 'r-1 r-2 r-3' || names === 'r-2 r-3 r-4', `${step}: ${names}`);
    });
  });

  it('journal: a kill at any step of advance() leaves the journal in the old or the new state', async () => {
    const journalOf = (store: StateStore): Journal => new Journal(testDeps(store), new Ledger(testDeps(store)));
    const input = { artifactName: 'r-2', sourcePath: '/m/r-2.mender', stick: {} };
    const prepare = async (store: StateStore): Promise<void> => {
      await journalOf(store).begin(input);
    };
    const advance = async (store: StateStore): Promise<void> => {
      const resumed = (await journalOf(store).resume()).pending;
      await resumed?.deployment.advance('installed');
    };
    await atEveryStep('kill', prepare, advance, async (store, step) => {
      const state = parseJournal((await store.read('journal.json')) ?? '').state;
      assert.ok(state === 'ArtifactInstall' || state === 'ArtifactReboot', `${step}: ${state}`);
    });
  });

  it('journal: a full disk during advance() is surfaced, and the journal and the record keep the old state', () =>
    withTempDir(async (dir) => {
      const deps = testDeps(fileStateStore(dir));
      const deployment = await new Journal(deps, new Ledger(deps)).begin({ artifactName: 'r-2', sourcePath: '/m/r-2.mender', stick: {} });
      const fullDeps = { ...deps, store: fileStateStore(dir, faultyOps('write journal.json.tmp', 'ENOSPC')) };
      const full = (await new Journal(fullDeps, new Ledger(fullDeps)).resume()).pending?.deployment;
      assert.ok(full !== undefined);
      const before = full.record;
      await assert.rejects(full.advance('installed'), (err: unknown) => err instanceof UpdaterError && err.code === 'STATE_WRITE_FAILED');
      assert.equal(full.record, before);
      assert.equal(parseJournal((await fileStateStore(dir).read('journal.json')) ?? '').state, 'ArtifactInstall');
      assert.deepEqual(readdirSync(dir), ['journal.json']);
      assert.equal(deployment.record.state, 'ArtifactInstall');
    }));

  it('ignores a temp file left by a crash', () =>
    withTempDir(async (dir) => {
      writeFileSync(join(dir, 'journal.json.tmp'), '{"half');
      const store = fileStateStore(dir);
      assert.equal(await store.read('journal.json'), null);
      await store.replace('journal.json', OLD);
      assert.equal(await store.read('journal.json'), OLD);
      assert.deepEqual(readdirSync(dir), ['journal.json']);
    }));
});
