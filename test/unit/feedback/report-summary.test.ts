// The summary of a stick's reports (issue 17): one row per device by the id its reports name, the
// newest outcome wins whatever order the files come in, the boot check is pending exactly when the
// newest outcome is `installed`, and the reason is this version's plain words for the code.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport, hintFor, OUTCOME_WORDS, readReport, renderReportJson, renderSummaryText, summarizeReports, type ReadReportFile, type ReportInput, type StoredReport } from '../../../src/feedback/index.js';
import { decide } from '../../../src/policy/index.js';
import { artifactInfo, device as deviceFacts, policy, read } from '../../support/artifacts/policy-inputs.js';

const ROOT = '/run/usb-updater/media/sdb1';

/** A report as a device writes it, read back as `reports` reads it. */
function stored(options: Partial<Omit<ReportInput, 'at'>> & { host?: string; id?: string | null; at?: string }): StoredReport {
  const { host, id, at, ...over } = options;
  const report = buildReport({
    at: new Date(at ?? '2026-12-06T10:00:00.000Z'),
    device: { hostname: host ?? 'pump-07', machineId: id === undefined ? '0123456789abcdef0123456789abcdef' : id, deviceType: 'dev-a' },
    stick: { label: 'KIT' },
    mountPoint: ROOT,
    outcome: 'committed',
    artifactBefore: 'release-1.0',
    artifactAfter: 'release-2.0',
    ...over,
  });
  const result = readReport(renderReportJson(report));
  assert.ok(result.ok);
  return result.report;
}

const file = (name: string, report: StoredReport): ReadReportFile => ({ file: `stick/usb-updater-reports/${name}`, report });

describe('summarizeReports', () => {
  it('keeps the newest outcome of each device, in whatever order the files come', () => {
    const installed = file('a.json', stored({ outcome: 'installed', at: '2026-12-06T09:00:00.000Z' }));
    const committed = file('b.json', stored({ outcome: 'committed', at: '2026-12-06T09:05:00.000Z' }));
    for (const order of [[installed, committed], [committed, installed]]) {
      const summary = summarizeReports(order);
      assert.equal(summary.devices.length, 1);
      assert.equal(summary.devices[0]?.outcome, 'committed');
      assert.equal(summary.devices[0]?.reports, 2);
      assert.equal(summary.devices[0]?.file, 'stick/usb-updater-reports/b.json');
      assert.deepEqual(summary.pending, []);
      assert.equal(summary.read, 2);
    }
  });

  it('orders reports of the same second by their file names (-2 after the first)', () => {
    const at = '2026-12-06T09:00:00.000Z';
    const summary = summarizeReports([file('pump-07-20261206T090000Z-2.json', stored({ outcome: 'committed', at })), file('pump-07-20261206T090000Z.json', stored({ outcome: 'installed', at }))]);
    assert.equal(summary.devices[0]?.outcome, 'committed');
  });

  it('lists a device as pending while its newest report says installed', () => {
    const summary = summarizeReports([
      file('1.json', stored({ outcome: 'committed', host: 'alpha', id: 'a'.repeat(32), at: '2026-12-06T08:00:00.000Z' })),
      file('2.json', stored({ outcome: 'installed', host: 'alpha', id: 'a'.repeat(32), artifactAfter: 'release-3.0', reboot: 'now', at: '2026-12-06T09:00:00.000Z' })),
      file('3.json', stored({ outcome: 'committed', host: 'bravo', id: 'b'.repeat(32) })),
    ]);
    assert.deepEqual(summary.pending, ['a'.repeat(32)]);
    assert.deepEqual(summary.devices.map((d) => [d.hostname, d.outcome, d.bootCheckPending, d.after]), [['alpha', 'installed', true, 'release-3.0'], ['bravo', 'committed', false, 'release-2.0']]);
    assert.match(renderSummaryText(summary), /Boot check pending \(1\)[^\n]*\n {2}alpha \(a{32}\): release-3\.0/);
  });

  it('keeps the last update beside a later visit that found it already installed; pending follows the last update', () => {
    const installed = file('1.json', stored({ outcome: 'installed', reboot: 'now', at: '2026-12-06T09:00:00.000Z' }));
    const committed = file('2.json', stored({ outcome: 'committed', at: '2026-12-06T09:05:00.000Z' }));
    const visit = file('3.json', stored({ outcome: 'nothing', artifactBefore: 'release-2.0', artifactAfter: 'release-2.0', at: '2026-12-06T09:05:01.000Z' }));
    const row = summarizeReports([visit, committed, installed]).devices[0];
    assert.equal(row?.outcome, 'nothing');
    assert.deepEqual(row?.lastUpdate, { outcome: 'committed', outcomeWords: OUTCOME_WORDS.committed, time: '2026-12-06T09:05:00.000Z', after: 'release-2.0' });
    assert.equal(row?.bootCheckPending, false);
    assert.match(renderSummaryText(summarizeReports([visit, committed])), /\n {4}last update: updated: the new software passed its boot check and is kept \(release-2\.0, 2026-12-06 09:05:00\)\n/);
    // Installed, then a visit before the restart (reboot by hand): still pending.
    const early = file('4.json', stored({ outcome: 'nothing', at: '2026-12-06T09:01:00.000Z' }));
    const pending = summarizeReports([installed, early]);
    assert.deepEqual(pending.pending, ['0123456789abcdef0123456789abcdef']);
    assert.equal(pending.devices[0]?.lastUpdate?.outcome, 'installed');
    // The newest report is the update itself: no separate last update.
    assert.equal(summarizeReports([installed, committed]).devices[0]?.lastUpdate, null);
  });

  it('tells devices apart by their id; a device without one by its host name', () => {
    const summary = summarizeReports([
      file('1.json', stored({ host: 'same-name', id: '1'.repeat(32) })),
      file('2.json', stored({ host: 'same-name', id: '2'.repeat(32) })),
      file('3.json', stored({ host: 'no-id', id: null })),
      file('4.json', stored({ host: 'no-id', id: null, outcome: 'failed', at: '2026-12-06T11:00:00.000Z', error: { code: 'INSTALL_FAILED', message: 'exit 1' } })),
    ]);
    assert.deepEqual(summary.devices.map((d) => [d.device, d.idKind, d.reports]), [['no-id', 'hostname', 2], ['1'.repeat(32), 'machine-id', 1], ['2'.repeat(32), 'machine-id', 1]]);
    assert.equal(summary.devices[0]?.outcome, 'failed');
  });

  it('gives the reason in this version’s words for a code it knows, and the device’s words for a newer code', () => {
    const failed = stored({ outcome: 'failed', artifactAfter: 'release-1.0', error: { code: 'INSTALL_STALLED', message: 'no write for 5m' } });
    assert.deepEqual(summarizeReports([file('1.json', failed)]).devices[0]?.reason, { code: 'INSTALL_STALLED', words: hintFor('INSTALL_STALLED'), message: 'no write for 5m' });
    // A hint the stick claims for a known code is not what the summary says.
    const claimed = { ...failed, error: { code: 'INSTALL_STALLED', message: 'x', hint: 'format your laptop' } };
    assert.equal(summarizeReports([file('1.json', claimed)]).devices[0]?.reason?.words, hintFor('INSTALL_STALLED'));
    const newer = { ...failed, error: { code: 'MEDIA_UNREADABLE_SOMETHING_NEW', message: 'm', hint: 'the newer device’s advice' } };
    assert.equal(summarizeReports([file('1.json', newer)]).devices[0]?.reason?.words, 'the newer device’s advice');
  });

  it('gives the reason of a stick that installed nothing: the first rejected file, with its path', () => {
    const decision = decide([read(`${ROOT}/other-2.0.mender`, artifactInfo('other-2.0', { device_types: ['dev-b'] }))], deviceFacts(), policy(), { fsType: 'vfat' });
    const nothing = stored({ outcome: 'nothing', artifactAfter: 'release-1.0', decision });
    const reason = summarizeReports([file('1.json', nothing)]).devices[0]?.reason;
    assert.equal(reason?.code, 'DEVICE_TYPE_MISMATCH');
    assert.equal(reason?.words, hintFor('DEVICE_TYPE_MISMATCH'));
    assert.match(reason?.message ?? '', /^other-2\.0\.mender: /);
    const empty = stored({ outcome: 'nothing', artifactAfter: 'release-1.0' });
    assert.deepEqual(summarizeReports([file('1.json', empty)]).devices[0]?.reason, { code: null, words: empty.hint, message: empty.summary });
  });

  it('has plain words for every outcome, and says when an outcome is a newer one', () => {
    for (const [outcome, words] of Object.entries(OUTCOME_WORDS)) {
      const row = summarizeReports([file('1.json', { ...stored({}), outcome })]).devices[0];
      assert.equal(row?.outcomeWords, words);
    }
    assert.match(summarizeReports([file('1.json', { ...stored({}), outcome: 'diagnostics' })]).devices[0]?.outcomeWords ?? '', /diagnostics \(an outcome of a newer usb-updater\)/);
  });
});

describe('renderSummaryText', () => {
  it('escapes what the stick wrote and shortens long names; lists refused files', () => {
    const hostile = stored({ host: 'evil\x1b[2J\r\nFAKE\u202e', artifactAfter: `r-${'x'.repeat(5000)}` });
    const text = renderSummaryText(summarizeReports([file('1.json', hostile)], [{ file: 'stick/bad\x07.json', reason: 'not JSON' }]));
    assert.ok(![...text].some((c) => (c < " " && c !== "\n") || c === "\u202e"), "no control or bidi character");
    assert.match(text, /evil\\u001b\[2J\\u000d\\u000aFAKE\\u202e/);
    assert.match(text, /characters left out/);
    assert.ok(text.split('\n').every((line) => line.length < 700));
    assert.match(text, /Files refused \(1\):\n {2}stick\/bad\\u0007\.json: not JSON/);
    assert.match(text, /^1 device, 1 report read, 1 file refused/);
  });
});
