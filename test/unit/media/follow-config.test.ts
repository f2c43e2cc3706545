// Following a config file with chokidar and a fake loader: reload on change, keep the last good
// value when a new version fails to load.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, describe, it } from 'node:test';
import { followConfig } from '../../../src/media/index.js';
import { watchFile } from '../../../src/system/media/watch-paths.js';
import type { Logger } from '../../../src/log/logger.js';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const dir = mkdtempSync(`${tmpdir()}/follow-config-`);
after(() => rmSync(dir, { recursive: true, force: true }));

/** The fake loader: the file holds a number; anything else is an invalid config. */
async function load(path: string): Promise<number> {
  const text = (await readFile(path, 'utf8')).trim();
  if (!/^\d+$/.test(text)) throw new Error(`not a number: ${text}`);
  return Number(text);
}

function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() - start > ms) reject(new Error('timed out'));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

describe('followConfig', () => {
  it('reloads on change, reports a failed load and keeps the last good value', async () => {
    const path = `${dir}/config`;
    writeFileSync(path, '1');
    const reloads: number[] = [];
    const errors: Array<[string, number]> = [];
    const config = await followConfig(path, load, {
      onReload: (value) => reloads.push(value),
      onError: (err, current) => errors.push([String(err), current]),
    }, (p, onChange) => watchFile(p, onChange, silent));
    try {
      assert.equal(config.current(), 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      writeFileSync(path, '2');
      await waitFor(() => reloads.includes(2));
      assert.equal(config.current(), 2);
      writeFileSync(path, 'half-edited: [');
      await waitFor(() => errors.length > 0);
      assert.deepEqual(errors[0], ['Error: not a number: half-edited: [', 2]);
      assert.equal(config.current(), 2);
      writeFileSync(path, '3');
      await waitFor(() => config.current() === 3);
    } finally {
      await config.stop();
    }
  });

  it('rejects when the first load fails: there is no good value to keep', async () => {
    const path = `${dir}/bad`;
    writeFileSync(path, 'x');
    await assert.rejects(followConfig(path, load, { onReload: () => undefined, onError: () => undefined }, (p, onChange) => watchFile(p, onChange, silent)), /not a number/);
  });
});
