// Issue 8, trust and resources: a ledger damaged as a whole (not just a torn last line) never
// blocks an update and is reported by `status`; a corrupt journal is set aside at the next start
// (test/unit/install/finish.test.ts), and the device is never left unable to update.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertConsistent, ledgerOf, rig, run } from '../../support/fakes/finish-rig.js';
import { runCli } from '../../support/harness/run-cli.js';
import { withTempDir } from '../../support/harness/temp.js';

/** Bytes that are no ledger at all: binary garbage over several lines. */
const GARBAGE = Buffer.concat([randomBytes(300), Buffer.from('\n{"v":1,"outcome":\n'), randomBytes(200), Buffer.from('\n\u0000\u0000\n')]).toString('latin1');

describe('a wholly damaged ledger', () => {
  it('does not block the next update: it installs and commits, and its outcomes are appended readably', async () => {
    const r = rig({ healthy: true });
    r.store.files.set('ledger.jsonl', GARBAGE);
    const { state } = await run(r);
    assert.equal(state, 'Committed');
    assertConsistent(true, state, r.device, 'damaged ledger');
    assert.deepEqual(await ledgerOf(r.store), ['installed', 'committed']);
  });

  it('is reported by status (the count of unreadable lines), which still exits 0', async () => {
    await withTempDir(async (dir) => {
      const state = join(dir, 'state');
      mkdirSync(state, { mode: 0o700 });
      writeFileSync(join(state, 'ledger.jsonl'), GARBAGE, { mode: 0o600 });
      const config = join(dir, 'config.yaml');
      writeFileSync(config, ['signature:', '  required: false', 'state:', `  dir: ${state}`, ''].join('\n'), { mode: 0o644 });
      const json = await runCli(['status', '--json', '-c', config]);
      assert.equal(json.code, 0, json.stderr);
      const parsed = JSON.parse(json.stdout) as { history: unknown[]; ledgerSkippedLines: number };
      assert.deepEqual(parsed.history, []);
      assert.ok(parsed.ledgerSkippedLines >= 3, json.stdout);
      const text = await runCli(['status', '-c', config]);
      assert.match(text.stdout, /unreadable lines? of the ledger skipped: it was damaged/);
    });
  });
});
