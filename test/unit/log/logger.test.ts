// The logger's formats as an integrator and journald see them: journal lines with syslog prefixes
// when JOURNAL_STREAM names our output (and JSON when it names another), JSON lines, human lines
// without colours off a terminal and with them on one, the level threshold, and the rotating file.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger, type LogEnvironment, type LoggerOptions } from '../../../src/log/logger.js';

const root = mkdtempSync(join(tmpdir(), 'usb-updater-test-logger-'));
after(() => rmSync(root, { recursive: true, force: true }));

const EPOCH = (): Date => new Date(0);

function capture(vars: Record<string, string>, extra: Partial<LogEnvironment> = {}): LogEnvironment & { text: () => string } {
  let text = '';
  return { vars, out: { write: (chunk: string) => (text += chunk) }, outId: '8:3', now: EPOCH, ...extra, text: () => text };
}

const options = (format: LoggerOptions['format'], level: LoggerOptions['level'] = 'info'): LoggerOptions => ({ format, level, file: null });

describe('createLogger', () => {
  it('auto under systemd: syslog prefixes, key=value fields, no time, no colour, untrusted text escaped', () => {
    const env = capture({ JOURNAL_STREAM: '8:3' }, { out: { write: (t: string) => (text += t), isTTY: true } });
    let text = '';
    const logger = createLogger(options('auto'), env);
    logger.info('usb-updater: installed release-2.0', { deployment: 'dep-1', rebooting: true });
    logger.warn('mount refused as media', { label: 'A B\n<3>forged', uuid: undefined });
    logger.error('usb-updater: failed MEDIA_GONE', { candidates: [{ path: 'x' }] });
    assert.equal(
      text,
      [
        '<6>usb-updater: installed release-2.0 deployment=dep-1 rebooting=true',
        '<4>mount refused as media label="A B\\n<3>forged"',
        '<3>usb-updater: failed MEDIA_GONE candidates=[{"path":"x"}]',
        '',
      ].join('\n'),
    );
  });

  it('auto with JOURNAL_STREAM naming another stream (inherited, output redirected): JSON lines', () => {
    const env = capture({ JOURNAL_STREAM: '8:99' });
    createLogger(options('auto'), env).info('stopping', { reason: 'SIGTERM' });
    assert.deepEqual(JSON.parse(env.text()), { time: '1970-01-01T00:00:00.000Z', level: 'info', message: 'stopping', reason: 'SIGTERM' });
  });

  it('json: one object a line; fields cannot replace the level or the message', () => {
    const env = capture({});
    const logger = createLogger(options('json'), env);
    logger.warn('stick ignored', { level: 'error', message: 'forged', label: 'A\n{"level":"error"}' });
    const lines = env.text().split('\n');
    assert.equal(lines.length, 2);
    const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(line['label'], 'A\n{"level":"error"}');
    assert.deepEqual([line['level'], line['message'], line['_level'], line['_message']], ['warn', 'stick ignored', 'error', 'forged']);
    assert.deepEqual([Object.keys(line).slice(0, 3), line['time']], [['time', 'level', 'message'], '1970-01-01T00:00:00.000Z']);
  });

  it('human without a terminal: time and level, no colour codes; with one: coloured unless NO_COLOR', () => {
    const plain = capture({});
    createLogger(options('human'), plain).error('usb-updater: failed INSTALL_FAILED', { code: 'INSTALL_FAILED' });
    assert.equal(plain.text(), '1970-01-01T00:00:00.000Z ERROR usb-updater: failed INSTALL_FAILED code=INSTALL_FAILED\n');
    let coloured = '';
    createLogger(options('auto'), capture({}, { out: { write: (t: string) => (coloured += t), isTTY: true } })).info('following media');
    assert.equal(coloured, '1970-01-01T00:00:00.000Z \x1b[32mINFO \x1b[0m following media\n');
    let noColor = '';
    createLogger(options('auto'), capture({ NO_COLOR: '1' }, { out: { write: (t: string) => (noColor += t), isTTY: true } })).info('following media');
    assert.equal(noColor, '1970-01-01T00:00:00.000Z INFO  following media\n');
  });

  it('writes only lines at or above the level', () => {
    const info = capture({});
    const logger = createLogger(options('journal'), info);
    logger.debug?.('usb-updater: phase installing', { percent: 3 });
    logger.info('usb-updater: phase installing', { percent: 0 });
    assert.equal(info.text(), '<6>usb-updater: phase installing percent=0\n');
    const debug = capture({});
    createLogger(options('journal', 'debug'), debug).debug?.('usb-updater: phase installing', { percent: 3 });
    assert.equal(debug.text(), '<7>usb-updater: phase installing percent=3\n');
    const errors = capture({});
    const quiet = createLogger(options('json', 'error'), errors);
    quiet.warn('w');
    quiet.error('e');
    assert.equal((JSON.parse(errors.text()) as { message: string }).message, 'e');
  });

  it('rotates its file at max_size and keeps max_files files, the newest lines in the path', async () => {
    const dir = join(root, 'rotate');
    const path = join(dir, 'usb-updater.log');
    const logger = createLogger({ format: 'json', level: 'info', file: { path, max_size: 2000, max_files: 3 } }, capture({}));
    for (let i = 0; i < 200; i += 1) logger.info('usb-updater: phase installing', { line: i, padding: 'x'.repeat(40) });
    await logger.close();
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, ['usb-updater.log', 'usb-updater.log.1', 'usb-updater.log.2']);
    // A file is rotated at the first line that takes it past max_size: at most one line over.
    for (const file of files) assert.ok(statSync(join(dir, file)).size <= 2000 + 120, `${file}: ${statSync(join(dir, file)).size} bytes`);
    const newest = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number });
    assert.equal(newest.at(-1)?.line, 199);
    const older = readFileSync(join(dir, 'usb-updater.log.1'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number });
    assert.ok((older.at(-1)?.line ?? 199) < (newest[0]?.line ?? 0), 'file 1 holds the lines before');
  });

  it('after close, lines still reach the main output and nothing throws (work finishing after a stop)', async () => {
    const dir = join(root, 'after-close');
    const path = join(dir, 'usb-updater.log');
    const out = capture({});
    const logger = createLogger({ format: 'json', level: 'info', file: { path, max_size: 100_000, max_files: 2 } }, out);
    logger.info('before');
    await logger.close();
    logger.error('boot check failed', { code: 'INTERNAL' });
    const lines = out.text().trim().split('\n').map((l) => (JSON.parse(l) as { message: string }).message);
    assert.deepEqual(lines, ['before', 'boot check failed']);
    assert.deepEqual(readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { message: string }).message), ['before']);
  });
});
