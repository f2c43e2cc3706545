// The summary page in a real browser (issue 17): Debian's chromium, headless, renders the page that
// `usb-updater reports --html` wrote; its screenshot, read back by OCR (Debian's tesseract-ocr),
// shows the table's text, and the browser's own DOM holds no element a hostile report tried to add.
// Needs chromium and tesseract: skipped with the reason outside CI, a failure in CI.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildReport, renderReportJson, reportBaseName, type ReportInput } from '../../src/feedback/index.js';
import { runProcess } from '../support/harness/process.js';
import { runCli } from '../support/harness/run-cli.js';
import { needsTool } from '../support/skip/fixtures.js';

const skip = needsTool('chromium', 'chromium') || needsTool('tesseract', 'tesseract-ocr');
const HOSTILE = '</td></tr></table><img src=x onerror=alert(1)><script>document.title="pwned"</script>';

const devices: [host: string, outcome: ReportInput['outcome'], after: string, error?: { code: string; message: string }][] = [
  ['alpha-press', 'committed', 'release-2.0'],
  ['bravo-press', 'installed', 'release-2.0'],
  ['charlie-press', 'rolled-back', 'release-1.0', { code: 'HEALTH_CHECK_FAILED', message: 'check app failed' }],
  [HOSTILE, 'failed', 'release-1.0', { code: 'INSTALL_FAILED', message: HOSTILE }],
];

/** Chromium headless as root: no sandbox; its own profile, so runs beside others never share one. */
async function chromium(dir: string, args: readonly string[]): Promise<string> {
  const result = await runProcess('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${join(dir, 'profile')}`, ...args], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.output);
  return result.stdout;
}

describe('the summary page in headless chromium', { skip }, () => {
  let dir = '';
  let page = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'usb-updater-test-browser-'));
    const folder = join(dir, 'stick', 'usb-updater-reports');
    mkdirSync(folder, { recursive: true });
    devices.forEach(([hostname, outcome, afterName, error], i) => {
      const report = buildReport({
        at: new Date(Date.UTC(2026, 11, 6, 9, i)),
        device: { hostname, machineId: `${i}`.repeat(32), deviceType: 'press-controller' },
        stick: { label: 'FIELD-KIT' },
        mountPoint: null,
        outcome,
        artifactBefore: 'release-1.0',
        artifactAfter: afterName,
        reboot: outcome === 'installed' ? 'now' : null,
        error: error ?? null,
      });
      writeFileSync(join(folder, `${reportBaseName(report, [])}.json`), renderReportJson(report));
    });
    page = join(dir, 'summary.html');
    const result = await runCli(['reports', join(dir, 'stick'), '--html', page]);
    assert.equal(result.code, 0, result.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the table: every device, its outcome and software, the pending boot check (read back by OCR)', async () => {
    const shot = join(dir, 'shot.png');
    await chromium(dir, ['--window-size=1400,900', `--screenshot=${shot}`, `file://${page}`]);
    // One thread: on a busy machine tesseract's threads cost more than they bring.
    const ocr = await runProcess('tesseract', [shot, 'stdout', '--psm', '6'], { timeoutMs: 60_000, env: { ...process.env, OMP_THREAD_LIMIT: '1' } });
    assert.equal(ocr.code, 0, ocr.output);
    const text = ocr.stdout.replace(/\s+/g, ' ');
    // Cells wrap, and OCR reads a row's wrapped lines in turn: each check stays within one line.
    for (const expected of ['usb-updater: reports on the stick', '4 device(s), 4 report(s) read', 'alpha-press', 'bravo-press', 'charlie-press', 'updated: the new software', 'installed; its boot check', 'undone: the new software', 'update failed', 'Boot check pending']) {
      assert.ok(text.includes(expected), `"${expected}" not in the screenshot's text: ${text}`);
    }
    assert.match(text, /bravo-press 1{32}: release-2\.0/, 'the pending list names the device and its update');
    // The hostile host name is on the page as text, not as markup.
    assert.match(text, /<img src=x onerror=alert\(1\)>/);
  });

  it('holds, in the browser’s DOM, only the rows of the reports: nothing a hostile report added', async () => {
    const dom = await chromium(dir, ['--dump-dom', `file://${page}`]);
    assert.equal((dom.match(/<tr>/g) ?? []).length, devices.length + 1);
    assert.doesNotMatch(dom, /<img|<script/);
    assert.match(dom, /<title>usb-updater reports<\/title>/);
    assert.ok(dom.includes('&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;img src=x onerror=alert(1)&gt;'));
  });
});
