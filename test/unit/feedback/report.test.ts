// The report written to the stick: built from a real decision, every candidate listed with its
// reasons and a hint for each code, hostile names escaped in the text, the JSON versioned, and
// file names safe and unique within the second.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../../src/errors/index.js';
import { GENERIC_HINT, asciiSafe, buildReport, hintFor, hintTable, renderReportJson, renderReportText, reportBaseName, safeDeviceName, type ReportInput } from '../../../src/feedback/index.js';
import { REASON_CODES, decide } from '../../../src/policy/index.js';
import { readDocs, tableRows } from '../../support/harness/docs.js';
import { artifactInfo, device, failed, policy, read, skipped } from '../../support/artifacts/policy-inputs.js';

const ROOT = '/run/usb-updater/media/sdb1';
const AT = new Date('2026-11-27T17:05:12.345Z');

/** A stick with a rejected, a skipped, an unreadable and a hostile-named candidate: nothing to install. */
function nothingDecision(): ReturnType<typeof decide> {
  return decide(
    [
      read(`${ROOT}/other-2.0.mender`, artifactInfo('other-2.0', { device_types: ['dev-b'], signed: false, signature_verified: null })),
      skipped(`${ROOT}/._release-1.2.mender`, { code: 'APPLEDOUBLE_FILE', message: 'macOS AppleDouble metadata file, not an artifact' }),
      failed(`${ROOT}/cut.mender`, { code: 'INVALID_ARTIFACT', message: 'ARTIFACT_TRUNCATED: the artifact ends before it is complete' }),
      read(`${ROOT}/evil\x1b[2J\r\nFAKE LINE\u202e.mender`, artifactInfo('release-0.9\x1b]0;pwned\x07')),
    ],
    device(),
    policy(),
    { fsType: 'vfat' },
  );
}

const input = (over: Partial<ReportInput> = {}): ReportInput => ({
  at: AT,
  device: { hostname: 'pump-07', machineId: '0123456789abcdef0123456789abcdef', deviceType: 'dev-a' },
  stick: { device: '/dev/sdb1', label: 'UPDATE', fsType: 'vfat' },
  mountPoint: ROOT,
  outcome: 'nothing',
  artifactBefore: 'release-1.0',
  artifactAfter: 'release-1.0',
  decision: nothingDecision(),
  ...over,
});

describe('the report model', () => {
  it('lists every candidate, relative to the stick, with each reason code, message and hint', () => {
    const decision = nothingDecision();
    const report = buildReport(input({ decision }));
    assert.equal(report.format, 1);
    assert.equal(report.time, '2026-11-27T17:05:12.345Z');
    assert.equal(report.candidates.length, decision.candidates.length);
    assert.equal(report.candidates.length, 4);
    for (const [i, c] of report.candidates.entries()) {
      const from = decision.candidates[i];
      assert.ok(from);
      assert.equal(`${ROOT}/${c.path}`, from.path, 'the path is shown relative to the root of the stick');
      assert.deepEqual(c.reasons.map((r) => [r.code, r.message, r.hint]), from.reasons.map((r) => [r.code, r.message, hintFor(r.code)]));
    }
    const other = report.candidates.find((c) => c.path === 'other-2.0.mender');
    assert.deepEqual(other?.reasons.map((r) => r.code), ['DEVICE_TYPE_MISMATCH', 'UNSIGNED']);
    assert.equal(report.summary, decision.summary);
    assert.equal(report.hint, hintFor(report.candidates.find((c) => c.verdict === 'reject')?.reasons[0]?.code ?? ''), 'the first rejection is the advice');
    assert.deepEqual(report.artifact, { before: 'release-1.0', after: 'release-1.0' });
  });

  it('an error carries its hint, and a failed install says the device runs what it ran', () => {
    const report = buildReport(input({ outcome: 'failed', error: { code: 'MEDIA_GONE', message: 'EIO while reading' } }));
    assert.deepEqual(report.error, { code: 'MEDIA_GONE', message: 'EIO while reading', hint: 'the stick was pulled out or failed; plug it in again and wait for the light' });
    assert.equal(report.hint, report.error?.hint);
    assert.match(report.summary, /still runs release-1\.0/);
  });

  it('installed: the new artifact after, and how the reboot happens', () => {
    const report = buildReport(input({ outcome: 'installed', artifactAfter: 'release-2.0', reboot: 'on-removal', decision: null }));
    assert.deepEqual(report.artifact, { before: 'release-1.0', after: 'release-2.0' });
    assert.match(report.summary, /release-2\.0 was installed; the device restarts into it once the stick is removed/);
    assert.match(report.hint, /remove the stick/);
    assert.deepEqual(report.candidates, []);
  });

  it('a stick refused as a whole: its reasons and their hint', () => {
    const decision = decide([], device(), policy({ media: { filesystems: ['ext4'] } }), { fsType: 'vfat' });
    const report = buildReport(input({ decision }));
    assert.deepEqual(report.mediaReasons.map((r) => r.code), ['MEDIA_FILESYSTEM_NOT_ALLOWED']);
    assert.equal(report.hint, hintFor('MEDIA_FILESYSTEM_NOT_ALLOWED'));
  });
});

describe('hints', () => {
  it('every error code and every reason code has its own hint; unknown codes get the generic one', () => {
    const codes = [...Object.keys(ERROR_CODES), ...Object.keys(REASON_CODES)];
    assert.deepEqual(hintTable().map(([code]) => code), codes);
    for (const code of codes) {
      const hint = hintFor(code);
      assert.ok(hint.length > 10 && hint !== GENERIC_HINT, code);
      assert.equal(asciiSafe(hint), hint, `${code}: hints are plain ASCII`);
    }
    assert.match(hintFor('INSTALL_PENDING_UPDATE'), /restart the device/);
    // Codes the journal records have hints of their own (issue 14); a code of another version gets the generic one.
    assert.match(hintFor('REBOOT_FAILED'), /could not restart itself/);
    assert.equal(hintFor('NOT_A_CODE_OF_THIS_VERSION'), GENERIC_HINT);
    assert.equal(hintFor('constructor'), GENERIC_HINT, 'not a property of every object');
  });

  it('the table in src/errors/README.md is the hint table', () => {
    const rows = tableRows(readDocs().text('src/errors/README.md'), 'Hints in the report');
    assert.deepEqual(rows, hintTable().map(([code, hint]) => `| \`${code}\` | ${hint} |`));
  });
});

describe('the text file', () => {
  const text = renderReportText(buildReport(input()));

  it('is printable ASCII with CRLF line ends: hostile names are escaped, not obeyed', () => {
    assert.match(text, /^[\x20-\x7e\r\n]*$/);
    assert.ok(text.split('\r\n').every((line) => !line.includes('\n') && !line.includes('\r')));
    assert.ok(!text.split('\r\n').some((line) => line.startsWith('FAKE LINE')), 'a newline in a file name cannot forge a line');
    assert.ok(text.includes('evil\\u001b[2J\\u000d\\u000aFAKE LINE\\u202e.mender'));
    assert.ok(text.includes('release-0.9\\u001b]0;pwned\\u0007'));
  });

  it('says what happened, on which device, and lists every candidate with reasons and what to do', () => {
    assert.match(text, /^usb-updater report: NOTHING INSTALLED\r\n/);
    assert.match(text, /Time: +2026-11-27 17:05:12 UTC/);
    assert.match(text, /Device: +pump-07 \(machine id 0123456789abcdef0123456789abcdef\)/);
    assert.match(text, /Device type: +dev-a/);
    assert.match(text, /Software before: +release-1\.0/);
    assert.match(text, /Files looked at on the stick \(4\):/);
    assert.match(text, / {2}REJECT {2}other-2\.0\.mender {2}other-2\.0 \(version 2\.0\)\r\n {10}DEVICE_TYPE_MISMATCH: .*\r\n {12}what to do: this artifact is made for another kind of device/);
    assert.match(text, / {2}SKIP {4}\._release-1\.2\.mender\r\n {10}APPLEDOUBLE_FILE:/);
    assert.match(text, /REJECT {2}cut\.mender\r\n {10}INVALID_ARTIFACT: ARTIFACT_TRUNCATED/);
  });

  it('an error section with its hint', () => {
    const failedText = renderReportText(buildReport(input({ outcome: 'not-handled', decision: null, error: { code: 'INSTALL_PENDING_UPDATE', message: 'deployment d1 is pending' } })));
    assert.match(failedText, /Error:\r\n {2}INSTALL_PENDING_UPDATE: deployment d1 is pending\r\n {4}what to do: an earlier update is still waiting/);
    assert.ok(!failedText.includes('Files looked at'));
  });
});

describe('the JSON file', () => {
  it('is the model, versioned, and holds the hostile names exactly', () => {
    const report = buildReport(input());
    const parsed = JSON.parse(renderReportJson(report)) as typeof report;
    assert.deepEqual(parsed, report);
    assert.equal(parsed.format, 1);
    assert.ok(parsed.candidates.some((c) => c.path === 'evil\x1b[2J\r\nFAKE LINE\u202e.mender'));
    assert.ok(!renderReportJson(report).includes('\x1b'), 'JSON escapes control characters');
  });
});

describe('file names', () => {
  it('<device>-<UTC time>, made safe for any stick', () => {
    const report = buildReport(input());
    assert.equal(reportBaseName(report, []), 'pump-07-20261127T170512Z');
    assert.equal(safeDeviceName('../../etc/passwd'), '_.._etc_passwd');
    assert.equal(safeDeviceName('..hidden'), 'hidden');
    assert.equal(safeDeviceName('a:b*c?"<>|\\ d\u00e9'), 'a_b_c_______d_');
    assert.equal(safeDeviceName(''), 'device');
    assert.equal(safeDeviceName('x'.repeat(300)).length, 64);
  });

  it('unique within the same second, whatever the case the stick stores', () => {
    const report = buildReport(input());
    assert.equal(reportBaseName(report, ['pump-07-20261127T170512Z.txt', 'pump-07-20261127T170512Z.json']), 'pump-07-20261127T170512Z-2');
    assert.equal(reportBaseName(report, ['PUMP-07-20261127T170512Z.JSON']), 'pump-07-20261127T170512Z-2', 'FAT compares names without case');
    assert.equal(reportBaseName(report, ['pump-07-20261127T170512Z.txt', 'pump-07-20261127T170512Z-2.txt']), 'pump-07-20261127T170512Z-3');
  });
});

describe('a diagnostics request in the report (issue 17)', () => {
  it('absent from the report of a stick without one; a refusal carries its code, message and hint', () => {
    assert.equal('diagnostics' in buildReport(input()), false);
    const report = buildReport(input({ diagnostics: { status: 'refused', code: 'DIAGNOSTICS_REQUEST_EXPIRED', message: 'expired at 2026-12-07T09:00:00Z' } }));
    assert.deepEqual(report.diagnostics, { status: 'refused', code: 'DIAGNOSTICS_REQUEST_EXPIRED', message: 'expired at 2026-12-07T09:00:00Z', hint: hintFor('DIAGNOSTICS_REQUEST_EXPIRED') });
    const text = renderReportText(report);
    assert.ok(text.includes('Diagnostics request refused:\r\n  DIAGNOSTICS_REQUEST_EXPIRED: expired at 2026-12-07T09:00:00Z\r\n    what to do: '), text);
    assert.deepEqual((JSON.parse(renderReportJson(report)) as { diagnostics: unknown }).diagnostics, report.diagnostics);
  });

  it('a bundle written names its folder; one not written says why', () => {
    const written = renderReportText(buildReport(input({ diagnostics: { status: 'written', folder: 'usb-updater-reports/diagnostics-ab-20261206T100000Z', files: 5, bytes: 1234 } })));
    assert.ok(written.includes('Diagnostics: written to the folder usb-updater-reports/diagnostics-ab-20261206T100000Z beside this report (5 files, 1234 bytes)\r\n'));
    const full = renderReportText(buildReport(input({ diagnostics: { status: 'not-written', message: 'the stick is full (ENOSPC)' } })));
    assert.ok(full.includes('Diagnostics: not written: the stick is full (ENOSPC)\r\n'));
  });
});
