// watch and daemon take their media options from the config file and follow it: a change is
// reloaded, a broken change is reported and the last good config kept; explicit flags still win.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN } from '../support/skip/fixtures.js';
import { startCommand } from '../support/skip/media.js';

describe('media commands follow the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'media-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.yaml');
  const write = (roots: string): void => writeFileSync(config, `signature:\n  required: false\nmedia:\n  roots: [${roots}]\n  allow_loop_devices: true\n`);

  it('the daemon uses media.* from the config, reloads a change and keeps the last good config on a broken one', async () => {
    write('/first-root');
    const daemon = startCommand(['daemon', '--config', config, '--usb-module', 'usb-detection-not-installed']);
    try {
      await daemon.waitForStderr('"following media","roots":["/first-root"],"filesystems":["vfat"');
      assert.match(daemon.stderr(), /"allowLoopDevices":true/);
      writeFileSync(config, 'media:\n  roots: relative\n');
      await daemon.waitForStderr('the changed config is invalid; keeping the last good one');
      assert.match(daemon.stderr(), /media\.roots: expected a list, got string \\"relative\\"/);
      write('/second-root');
      await daemon.waitForStderr('"following media","roots":["/second-root"]');
    } finally {
      const { code } = await daemon.terminate();
      assert.equal(code, 0, daemon.stderr());
    }
  });

  it('explicit flags override the config', async () => {
    write('/from-config');
    const watch = startCommand(['watch', '--json', '--config', config, '--media-root', '/from-flag', '--usb-module', 'usb-detection-not-installed']);
    try {
      await watch.waitForStderr('"following media","roots":["/from-flag"]');
    } finally {
      assert.equal((await watch.terminate()).code, 0, watch.stderr());
    }
  });

  it('refuses to start on an invalid config, naming the problem (exit 1)', () => {
    writeFileSync(config, 'media:\n  rots: []\n');
    const result = spawnSync(process.execPath, [BIN, 'watch', '--config', config], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /error CONFIG_INVALID: .*config\.yaml:2:3 media\.rots: unknown key "rots": did you mean "roots"\?/);
  });
});
