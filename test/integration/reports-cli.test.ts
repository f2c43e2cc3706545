// `usb-updater reports` as a script sees it (issue 17): the fixtures of every report writer and a
// damaged file in one folder, each exit code of the contract, --json and --html.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPORTS_EXIT } from '../../src/cli/exit-codes.js';
import type { ReportSummary } from '../../src/feedback/index.js';
import { runCli } from '../support/harness/run-cli.js';
import { withTempDir } from '../support/harness/temp.js';
import { FIXTURES } from '../support/skip/fixtures.js';

const REPORTS = `${FIXTURES}reports/`;

/** A stick's folder holding the fixtures (the newest writer's committed report one second later). */
function stick(dir: string): string {
  const folder = join(dir, 'stick', 'usb-updater-reports');
  mkdirSync(folder, { recursive: true });
  for (const name of readdirSync(REPORTS)) copyFileSync(join(REPORTS, name), join(folder, name));
  const newest = readFileSync(join(REPORTS, 'writer-42cbd64-committed.json'), 'utf8').replace('"time": "2026-11-27T10:00:00.000Z"', '"time": "2026-11-27T10:00:01.000Z"');
  writeFileSync(join(folder, 'line-3-press-20261127T100001Z.json'), newest);
  return join(dir, 'stick');
}

describe('usb-updater reports', () => {
  it('reads every writer’s reports: one row per device, exit 0', () =>
    withTempDir(async (dir) => {
      const result = await runCli(['reports', stick(dir), '--json']);
      assert.equal(result.code, REPORTS_EXIT.OK, result.stderr);
      const summary = JSON.parse(result.stdout) as ReportSummary;
      assert.equal(summary.read, 13);
      assert.deepEqual(summary.devices.map((d) => [d.device, d.outcome, d.reports]), [['4f5c2a0e9b7d41c3a6e8f0d2b4c6a8e1', 'rolled-back', 6], ['8d1e6a3f0c2b4d5e9f7a1c3e5b7d9f02', 'committed', 7]]);
      const text = await runCli(['reports', stick(dir)]);
      assert.match(text.stdout, /^2 devices, 13 reports read\n/);
      assert.match(text.stdout, /line-3-press \(8d1e6a3f0c2b4d5e9f7a1c3e5b7d9f02\) +press-controller +2026-11-27 10:00:01 +committed +release-1\.0 -> release-2\.0/);
    }));

  it('refuses a damaged file with its reason and shows the rest: exit 1', () =>
    withTempDir(async (dir) => {
      const path = stick(dir);
      const cut = readFileSync(join(REPORTS, 'writer-42cbd64-installed.json'), 'utf8');
      writeFileSync(join(path, 'usb-updater-reports', 'cut-20261127T110000Z.json'), cut.slice(0, 300));
      const result = await runCli(['reports', path]);
      assert.equal(result.code, REPORTS_EXIT.REFUSED);
      assert.match(result.stdout, /2 devices, 13 reports read, 1 file refused/);
      assert.match(result.stdout, /Files refused \(1\):\n {2}\S+cut-20261127T110000Z\.json: not JSON/);
    }));

  it('writes the HTML page with --html', () =>
    withTempDir(async (dir) => {
      const page = join(dir, 'summary.html');
      const result = await runCli(['reports', stick(dir), '--html', page]);
      assert.equal(result.code, REPORTS_EXIT.OK, result.stderr);
      const html = readFileSync(page, 'utf8');
      assert.match(html, /<td>line-3-press<div class="id">8d1e6a3f0c2b4d5e9f7a1c3e5b7d9f02<\/div><\/td>/);
      assert.equal((html.match(/<tr>/g) ?? []).length, 3);
    }));

  it('exit 4 when no report is found, 3 when a path cannot be read or the page cannot be written, 2 on a usage error', () =>
    withTempDir(async (dir) => {
      mkdirSync(join(dir, 'empty'));
      const none = await runCli(['reports', join(dir, 'empty')]);
      assert.equal(none.code, REPORTS_EXIT.NONE);
      assert.match(none.stderr, /no report found in .*empty/);
      const missing = await runCli(['reports', join(dir, 'missing'), '--json']);
      assert.equal(missing.code, REPORTS_EXIT.IO);
      assert.equal((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, 'IO_ERROR');
      const page = await runCli(['reports', stick(dir), '--html', join(dir, 'no-such-folder', 'page.html')]);
      assert.equal(page.code, REPORTS_EXIT.IO);
      assert.equal((await runCli(['reports'])).code, REPORTS_EXIT.USAGE);
      assert.equal((await runCli(['reports', dir, '--no-such-option'])).code, REPORTS_EXIT.USAGE);
    }));
});
