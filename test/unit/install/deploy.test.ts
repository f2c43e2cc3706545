// deploy() step by step with a scripted client (the real one runs in test/root/install.test.ts): the
// journal is written before each side effect, the client gets exactly the file's bytes, and every
// reboot mode and failure ends in the state the table says.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpdaterError } from '../../../src/errors/index.js';
import { deploy, type DeployDeps, type MenderClient, type RebootPolicy } from '../../../src/install/index.js';
import { Journal, Ledger } from '../../../src/state/index.js';
import { artifact } from '../../support/skip/fixtures.js';
import { checkedFile } from '../../support/fakes/checked-file.js';
import { memoryStore, testDeps, type MemoryStore } from '../../support/fakes/state-stores.js';

const BYTES = artifact('rootfs-gzip-rsa.mender');

interface Script {
  installExit?: 0 | 4 | 'fail';
  rollbackCode?: number;
  rebootFails?: boolean;
  /** The reboot request was overtaken by the shutdown (issue 18). */
  rebootUnderWay?: boolean;
  /** The stop signal the daemon received before the step that fails. */
  stopping?: NodeJS.Signals;
  env?: Record<string, string> | null;
}

/** Deps whose every side effect is recorded in `events`, next to the journal writes. */
function harness(script: Script): { deps: DeployDeps; events: string[]; store: MemoryStore; received: Buffer[] } {
  const store = memoryStore();
  const events: string[] = [];
  const received: Buffer[] = [];
  const state = testDeps(store);
  const journal = new Journal(state, new Ledger(state));
  const stateNow = async (): Promise<string> => {
    const read = await journal.read();
    return read.status === 'ok' ? read.journal.state : read.status;
  };
  const client: MenderClient = {
    command: 'mender',
    version: '3.4.0',
    async install(input) {
      events.push(`install (journal: ${await stateNow()})`);
      for await (const chunk of input) received.push(Buffer.from(chunk));
      if (script.installExit === 'fail') throw new UpdaterError('INSTALL_FAILED', 'mender install exited 1: image not compatible');
      return { rebootRequired: (script.installExit ?? 4) === 4, output: '' };
    },
    async commit() {
      events.push('commit');
      return Promise.resolve({ code: 0, output: '' });
    },
    async rollback() {
      events.push(`rollback (journal: ${await stateNow()})`);
      return { code: script.rollbackCode ?? 0, output: 'rolled back' };
    },
    showArtifact: () => Promise.resolve('release-1'),
  };
  const deps: DeployDeps = {
    client,
    journal,
    readBootFacts: () => Promise.resolve({ env: script.env === undefined ? { upgrade_available: '0' } : script.env, root: null }),
    async reboot() {
      events.push(`reboot (journal: ${await stateNow()})`);
      if (script.rebootFails) return { status: 'failed', reason: 'systemctl reboot exited 1' };
      if (script.rebootUnderWay) return { status: 'under-way', reason: 'systemctl reboot was ended by SIGTERM' };
      return { status: 'requested' };
    },
    stopping: () => script.stopping ?? null,
    sleep: (ms) => {
      events.push(`sleep ${ms}`);
      return Promise.resolve();
    },
    log: (message) => events.push(`log: ${message}`),
  };
  return { deps, events, store, received };
}

const request = async (reboot: RebootPolicy = { mode: 'immediate', delay: 0 }): Promise<Parameters<typeof deploy>[0]> => ({ ...(await checkedFile(BYTES)), artifactName: 'release-1.0', stick: { label: 'STICK' }, reboot });

describe('deploy', () => {
  it('journals ArtifactInstall before the client runs and ArtifactReboot before the reboot; the client gets the file exactly', async () => {
    const { deps, events, received } = harness({});
    const asked = await request();
    const outcome = await deploy(asked, deps);
    assert.equal(outcome.status, 'installed');
    assert.equal(outcome.status === 'installed' && outcome.rebooting, true);
    assert.deepEqual(events.filter((e) => !e.startsWith('log')), ['install (journal: ArtifactInstall)', 'reboot (journal: ArtifactReboot)']);
    assert.ok(Buffer.concat(received).equals(BYTES));
    assert.equal(outcome.journal.size, BYTES.length);
    // The artifact is named by its manifest (which pins every other member), not by a second hash of the payload.
    assert.equal(outcome.journal.manifestSha256, createHash('sha256').update(execFileSync('tar', ['-xOf', '-', 'manifest'], { input: BYTES })).digest('hex'));
    assert.equal(outcome.journal.manifestSha256, asked.manifestSha256);
    assert.equal(outcome.journal.sha256, null);
  });

  it('refuses to start while the bootloader has an update pending, before anything is journalled', async () => {
    const { deps, events, store } = harness({ env: { upgrade_available: '1' } });
    await assert.rejects(deploy(await request(), deps), { code: 'INSTALL_PENDING_UPDATE' });
    assert.deepEqual(events, []);
    assert.equal(store.files.get('journal.json'), undefined);
  });

  it('a failed install ends Failed with the error in the journal and the ledger; nothing is rebooted', async () => {
    const { deps, events, store } = harness({ installExit: 'fail' });
    const outcome = await deploy(await request(), deps);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.journal.state, 'Failed');
    assert.deepEqual(outcome.journal.lastError, { code: 'INSTALL_FAILED', message: 'mender install exited 1: image not compatible' });
    assert.ok(!events.some((e) => e.startsWith('reboot')));
    assert.match(store.files.get('ledger.jsonl') ?? '', /"outcome":"failed"/);
  });

  it('an update module that needs no reboot goes straight to ArtifactVerifyReboot', async () => {
    const { deps, events } = harness({ installExit: 0 });
    const outcome = await deploy(await request(), deps);
    assert.equal(outcome.journal.state, 'ArtifactVerifyReboot');
    assert.ok(!events.some((e) => e.startsWith('reboot')));
  });

  it('a reboot that cannot be requested rolls the install back (before any reboot) and ends RolledBack', async () => {
    const { deps, events } = harness({ rebootFails: true });
    const outcome = await deploy(await request(), deps);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.journal.state, 'RolledBack');
    assert.ok(events.includes('rollback (journal: ArtifactRollback)'));
  });

  it('issue 18: a reboot overtaken by the shutdown is no failure: nothing is rolled back, the update stays pending', async () => {
    const { deps, events, store } = harness({ rebootUnderWay: true });
    const outcome = await deploy(await request(), deps);
    assert.equal(outcome.status, 'installed');
    assert.equal(outcome.status === 'installed' && outcome.rebooting, true);
    assert.equal(outcome.journal.state, 'ArtifactReboot');
    assert.equal(outcome.journal.lastError, null);
    assert.ok(!events.some((e) => e.startsWith('rollback')), events.join('\n'));
    assert.ok(events.some((e) => /the reboot is under way \(systemctl reboot was ended by SIGTERM\)/.test(e)), events.join('\n'));
    // The ledger has the install and nothing else: the next boot's check writes the outcome.
    assert.deepEqual((store.files.get('ledger.jsonl') ?? '').trim().split('\n').map((line) => (JSON.parse(line) as { outcome: string }).outcome), ['installed']);
  });

  it('an install cut short by a stop signal is left at ArtifactInstall for the next start, not recorded as failed', async () => {
    const { deps, store } = harness({ installExit: 'fail', stopping: 'SIGTERM' });
    const outcome = await deploy(await request(), deps);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.journal.state, 'ArtifactInstall');
    assert.match(outcome.status === 'failed' ? outcome.error.message : '', /cut short: the service received SIGTERM/);
    assert.equal(store.files.get('ledger.jsonl'), undefined);
  });

  it('a failed rollback after a failed reboot ends Failed, never pretends the update is gone', async () => {
    const { deps } = harness({ rebootFails: true, rollbackCode: 1 });
    const outcome = await deploy(await request(), deps);
    assert.equal(outcome.journal.state, 'Failed');
    assert.equal(outcome.journal.lastError?.code, 'ROLLBACK_FAILED');
  });

  it('reboot modes: delay waits, never leaves it pending, on-removal hands the reboot to the caller', async () => {
    const delayed = harness({});
    await deploy(await request({ mode: 'delay', delay: 10_000 }), delayed.deps);
    assert.deepEqual(delayed.events.filter((e) => !e.startsWith('log')), ['install (journal: ArtifactInstall)', 'sleep 10000', 'reboot (journal: ArtifactReboot)']);

    const never = harness({});
    const left = await deploy(await request({ mode: 'never', delay: 0 }), never.deps);
    assert.equal(left.status === 'installed' && left.rebooting, false);
    assert.equal(left.journal.state, 'ArtifactReboot');
    assert.ok(!never.events.some((e) => e.startsWith('reboot')));

    const removal = harness({});
    const waiting = await deploy(await request({ mode: 'on-removal', delay: 0 }), removal.deps);
    assert.ok(waiting.status === 'installed' && waiting.rebootLater);
    assert.ok(!removal.events.some((e) => e.startsWith('reboot')));
    const after = await waiting.rebootLater();
    assert.equal(after.status, 'installed');
    assert.ok(removal.events.includes('reboot (journal: ArtifactReboot)'));
  });
});
