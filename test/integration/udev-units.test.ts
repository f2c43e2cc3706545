// The udev rule and the systemd units in udev/: every unit passes `systemd-analyze verify` without a
// warning, and the rule keeps to what issue 4 asks (USB only, a filesystem, a unit, never RUN+=).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, describe, it } from 'node:test';
import { HEALTH_EXIT } from '../../src/cli/exit-codes.js';
import { REPO, needsTool } from '../support/skip/fixtures.js';

const UDEV = `${REPO}udev/`;
const read = (name: string): string => readFileSync(`${UDEV}${name}`, 'utf8');

describe('udev and systemd integration', () => {
  const dir = mkdtempSync(`${tmpdir()}/units-`);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every unit passes systemd-analyze verify with no warning', { skip: needsTool('systemd-analyze', 'systemd') }, () => {
    // The daemon's executable is not installed on a test machine: verify checks that it exists, so a
    // stand-in takes its path in a copy of the unit.
    const stub = `${dir}/usb-updater`;
    writeFileSync(stub, '#!/bin/sh\n');
    chmodSync(stub, 0o755);
    writeFileSync(`${dir}/usb-updater.service`, read('usb-updater.service').replaceAll('/usr/bin/usb-updater', stub));
    writeFileSync(`${dir}/usb-updater-health.service`, read('usb-updater-health.service').replaceAll('/usr/bin/usb-updater', stub));
    writeFileSync(`${dir}/usb-updater-mount@.service`, read('usb-updater-mount@.service'));
    // A template is verified through an instance.
    const result = spawnSync('systemd-analyze', ['verify', `${dir}/usb-updater.service`, `${dir}/usb-updater-health.service`, `${dir}/usb-updater-mount@sdb1.service`], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), '');
  });

  it('the rule matches USB block devices with a filesystem and pulls in the mount unit, never RUN+=', () => {
    const rule = read('99-usb-updater.rules').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    assert.equal(rule.length, 1);
    const line = rule[0] ?? '';
    for (const part of ['ACTION=="add"', 'SUBSYSTEM=="block"', 'ENV{DEVTYPE}=="partition|disk"', 'ENV{ID_BUS}=="usb"', 'ENV{ID_FS_USAGE}=="filesystem"', 'ENV{SYSTEMD_WANTS}+="usb-updater-mount@%k.service"']) {
      assert.ok(line.includes(part), `rule lacks ${part}`);
    }
    assert.doesNotMatch(line, /RUN\+?=/);
  });

  it('the mount unit mounts read-only, nosuid, nodev, noexec under /run/usb-updater/media and unmounts on removal', () => {
    const unit = read('usb-updater-mount@.service');
    assert.match(unit, /^ExecStart=\/usr\/bin\/mount -o ro,nosuid,nodev,noexec \/dev\/%I \/run\/usb-updater\/media\/%I$/m);
    assert.match(unit, /^ExecStop=\/usr\/bin\/umount -l \/run\/usb-updater\/media\/%I$/m);
    assert.match(unit, /^BindsTo=dev-%i\.device$/m);
  });

  it('the daemon unit restarts on failure and runs the daemon command', () => {
    const unit = read('usb-updater.service');
    assert.match(unit, /^ExecStart=\/usr\/bin\/usb-updater daemon$/m);
    assert.match(unit, /^Restart=on-failure$/m);
  });

  it('the boot-time check gates boot-complete.target, counts "rolled back" as a good boot, and runs before the daemon', () => {
    const unit = read('usb-updater-health.service');
    assert.match(unit, /^ExecStart=\/usr\/bin\/usb-updater health$/m);
    assert.match(unit, /^Type=oneshot$/m);
    assert.match(unit, /^Before=boot-complete\.target$/m);
    assert.match(unit, /^RequiredBy=boot-complete\.target$/m);
    assert.match(unit, /^Wants=boot-complete\.target$/m);
    // The exit code the command gives when the old image runs again after a rollback.
    assert.match(unit, new RegExp(`^SuccessExitStatus=${HEALTH_EXIT.ROLLED_BACK}$`, 'm'));
    assert.match(unit, /^TimeoutStartSec=\S+$/m);
    assert.match(read('usb-updater.service'), /^After=usb-updater-health\.service$/m);
  });
});
