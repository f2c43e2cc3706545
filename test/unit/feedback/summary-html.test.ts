// The summary page (issue 17): self-contained (inline style, no script, nothing fetched, a CSP that
// forbids both), and a hostile report cannot inject markup: with markup in every field a stick
// controls, the page holds exactly the tags and attributes of a benign page of the same shape.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport, escapeHtml, readReport, renderReportJson, renderSummaryHtml, summarizeReports, type ReportInput, type ReportSummary } from '../../../src/feedback/index.js';

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</td></tr></table><iframe src="https://evil.example/">',
  '<!-- <style>body{display:none}</style>',
  '&lt;b&gt; <a href="javascript:alert(1)">x</a>',
  '\u202eevil\u0000\x1b[2J',
];

function summaryOf(text: (i: number) => string): ReportSummary {
  const inputs: ReportInput[] = PAYLOADS.map((_, i) => ({
    at: new Date(Date.UTC(2026, 11, 6, 10, i)),
    device: { hostname: text(i), machineId: i % 2 === 0 ? text(i + 1) : null, deviceType: text(i + 2) },
    stick: { label: text(i) },
    mountPoint: null,
    outcome: (['installed', 'failed', 'committed', 'rolled-back', 'nothing', 'not-handled', 'failed'] as const)[i] ?? 'failed',
    artifactBefore: text(i + 3),
    artifactAfter: text(i + 4),
    reboot: 'now',
    error: i % 3 === 1 ? { code: `CODE_${text(i)}`, message: text(i + 5) } : null,
  }));
  const files = inputs.map((input, i) => {
    const result = readReport(renderReportJson(buildReport(input)));
    assert.ok(result.ok, result.ok ? '' : result.reason);
    return { file: `stick/${text(i + 6)}.json`, report: result.report };
  });
  return summarizeReports(files, [{ file: `stick/${text(0)}.json`, reason: `damaged: ${text(1)}` }]);
}

/** The markup of a page: every tag with its attribute names, in order, text dropped. */
const tags = (html: string): string[] => [...html.matchAll(/<\/?([a-zA-Z!][^\s>/]*)([^>]*)>/g)].map((m) => `${m[1] ?? ''}${[...(m[2] ?? '').matchAll(/\s([a-z-]+)=/g)].map((a) => ` ${a[1] ?? ''}`).join('')}`);

describe('renderSummaryHtml', () => {
  const AT = '2026-12-06T11:00:00.000Z';
  const hostile = renderSummaryHtml(summaryOf((i) => PAYLOADS[i % PAYLOADS.length] ?? ''), AT);
  const benign = renderSummaryHtml(summaryOf((i) => `plain-${i}`), AT);

  it('a hostile report adds no element and no attribute: the same markup as a benign page', () => {
    // Rows sort by host name, so the two pages order them differently: the same tags, counted.
    assert.deepEqual(tags(hostile).sort(), tags(benign).sort());
    for (const payload of PAYLOADS.slice(0, 6)) assert.ok(!hostile.includes(payload), `${payload} reached the page unescaped`);
    assert.doesNotMatch(hostile, /<(script|img|svg|iframe|a)[\s>]/i);
    assert.equal((hostile.match(/<style>/g) ?? []).length, 1, "only the page's own style element");
    assert.ok(hostile.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the payload is shown as text');
    assert.ok(hostile.includes('\\u202eevil\\u0000\\u001b[2J'), 'control and bidi characters are shown escaped');
  });

  it('is self-contained: inline style only, no script, nothing to fetch, a CSP that forbids both', () => {
    assert.match(benign, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.match(benign, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
    assert.doesNotMatch(benign, /<script|<link|<img|src=|href=|url\(|@import|https?:/i);
    assert.equal((benign.match(/<tr>/g) ?? []).length, PAYLOADS.length + 1);
  });

  it('escapes the five markup characters and shows controls as \\u escapes', () => {
    assert.equal(escapeHtml(`a&b<c>d"e'f`), 'a&amp;b&lt;c&gt;d&quot;e&#39;f');
    assert.equal(escapeHtml('\u0007\u202e\u{e0001}'), '\\u0007\\u202e\\u{e0001}');
    assert.equal(escapeHtml('release-2.0 ü'), 'release-2.0 ü');
  });
});
