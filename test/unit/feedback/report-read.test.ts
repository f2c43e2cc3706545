// Reading reports back (issue 17): every report the project's writers ever wrote is read (the
// fixtures come from the writer of each commit, test/fixtures/make-report-fixtures.sh, and today's
// writer is read back too), and damaged, foreign or newer ones are refused, each with its reason.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildReport, readReport, renderReportJson, REPORT_FORMAT, READABLE_FORMATS, type ReportOutcome } from '../../../src/feedback/index.js';
import { FIXTURES } from '../../support/skip/fixtures.js';

const DIR = `${FIXTURES}reports/`;
const fixtures = readdirSync(DIR).filter((n) => n.endsWith('.json')).sort();

const current = (outcome: ReportOutcome = 'committed'): Record<string, unknown> =>
  JSON.parse(
    renderReportJson(
      buildReport({
        at: new Date('2026-12-06T10:00:00.000Z'),
        device: { hostname: 'pump-07', machineId: '0123456789abcdef0123456789abcdef', deviceType: 'dev-a' },
        stick: { label: 'KIT' },
        mountPoint: null,
        outcome,
        artifactBefore: 'release-1.0',
        artifactAfter: 'release-2.0',
      }),
    ),
  ) as Record<string, unknown>;

const refusal = (text: string): string => {
  const result = readReport(text);
  assert.equal(result.ok, false, `expected a refusal for ${text.slice(0, 200)}`);
  return result.ok ? '' : result.reason;
};

describe('readReport: every format written', () => {
  it('has a fixture from each writer for each outcome, and reads every one', () => {
    const writers = new Set(fixtures.map((n) => n.split('-')[1]));
    assert.deepEqual([...writers].sort(), ['42cbd64', 'fe117d7']);
    assert.equal(fixtures.length, 12);
    for (const name of fixtures) {
      const result = readReport(readFileSync(DIR + name, 'utf8'));
      assert.ok(result.ok, `${name}: ${result.ok ? '' : result.reason}`);
      assert.equal(result.report.format, 1);
      assert.equal(result.report.outcome, /^writer-[0-9a-f]+-(.+)\.json$/.exec(name)?.[1]);
      assert.equal(result.report.device.hostname, 'line-3-press');
    }
  });

  it('reads what today’s writer writes, for every outcome', () => {
    assert.deepEqual(READABLE_FORMATS, [REPORT_FORMAT]);
    for (const outcome of ['installed', 'nothing', 'failed', 'not-handled', 'committed', 'rolled-back'] as const) {
      const result = readReport(JSON.stringify(current(outcome)));
      assert.ok(result.ok && result.report.outcome === outcome);
    }
  });

  it('ignores fields it does not know and keeps an outcome a newer writer added', () => {
    const result = readReport(JSON.stringify({ ...current(), diagnostics: { deep: [1, 2] }, outcome: 'diagnostics-written' }));
    assert.ok(result.ok);
    assert.equal(result.report.outcome, 'diagnostics-written');
  });
});

describe('readReport: damaged and foreign files are refused with the reason', () => {
  const good = JSON.stringify(current(), null, 2);

  it('refuses what is not a report', () => {
    assert.match(refusal(''), /not JSON/);
    assert.match(refusal(good.slice(0, good.length / 2)), /not JSON/);
    assert.match(refusal('[1,2]'), /not a JSON object/);
    assert.match(refusal('null'), /not a JSON object/);
    assert.match(refusal('{"name":"package.json"}'), /no format number/);
    for (const format of ['"1"', '1.5', '0', '-1']) assert.match(refusal(good.replace('"format": 1', `"format": ${format}`)), /no format number/);
  });

  it('refuses a newer format, saying so', () => {
    assert.match(refusal(good.replace('"format": 1', '"format": 2')), /report format 2: written by a newer usb-updater/);
  });

  it('refuses a report that lacks a field or holds one of the wrong type, naming it', () => {
    for (const field of ['time', 'outcome', 'summary', 'hint', 'device', 'stick', 'artifact', 'reboot', 'mediaReasons', 'candidates', 'error']) {
      const broken = current();
      delete broken[field];
      assert.match(refusal(JSON.stringify(broken)), new RegExp(`damaged: ${field}`), field);
    }
    assert.match(refusal(JSON.stringify({ ...current(), device: { hostname: 7, machineId: null, deviceType: null } })), /damaged: device\.hostname/);
    assert.match(refusal(JSON.stringify({ ...current(), time: 'yesterday' })), /damaged: time: not an ISO 8601 UTC time/);
    assert.match(refusal(JSON.stringify({ ...current(), time: '2026-13-45T99:00:00Z' })), /damaged: time/);
    assert.match(refusal(JSON.stringify({ ...current(), outcome: '<b>done</b>' })), /damaged: outcome: not an outcome name/);
  });

  it('refuses hostile shapes before parsing them: deep nesting, huge strings', () => {
    const deep = `{"format":1,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    assert.match(refusal(deep), /nested deeper than 16 levels/);
    assert.match(refusal(JSON.stringify({ ...current(), summary: 'x'.repeat(70_000) })), /a string of 70000 characters/);
  });
});
