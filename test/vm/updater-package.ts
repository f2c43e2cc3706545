// usb-updater as a device maker puts it into the image: the one place that knows how. Today an
// interim stand-in for the Debian package (`npm run package` is being written): the same files at
// the same paths (/usr/lib/usb-updater, /usr/bin/usb-updater, units, rule, conffile), enabled the
// way its postinst will. The cache key is a hash of what the package is built from, so a warm run
// neither builds nor installs anything.

import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../support/fixtures.js';
import { hashOf } from './vm-cache.js';
import { mustRun } from './command.js';

const execFileAsync = promisify(execFile);

/** Everything the package is made from, relative to the repository. */
const INPUTS = ['src', 'udev', 'config/config.yaml', 'package.json', 'package-lock.json', '.ci'];

async function filesUnder(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    const nested = await Promise.all(entries.map(async (e) => (e.isDirectory() ? filesUnder(join(path, e.name)) : [join(path, e.name)])));
    return nested.flat().sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return [path];
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The hash of the package's inputs: the image layer with usb-updater in it is cached by it. */
export async function updaterPackageKey(): Promise<string> {
  const files = (await Promise.all(INPUTS.map((p) => filesUnder(join(REPO, p))))).flat();
  const parts = await Promise.all(files.map(async (f) => [relative(REPO, f), await readFile(f)] as const));
  return hashOf(parts.flat());
}

/** The production dependencies as npm resolved them (paths relative to the repository). */
async function productionModules(): Promise<string[]> {
  const { stdout } = await execFileAsync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO, maxBuffer: 1 << 24 });
  return stdout.split('\n').map((line) => relative(REPO, line.trim())).filter((p) => p.startsWith('node_modules/'));
}

/**
 * Installs usb-updater into the root filesystem `tree` (a chroot of the image being built) and
 * enables its services, as the package's maintainer scripts do.
 */
export async function installUpdaterPackage(tree: string): Promise<void> {
  const lib = join(tree, 'usr/lib/usb-updater');
  await mkdir(lib, { recursive: true });
  await cp(join(REPO, 'dist/src'), join(lib, 'dist/src'), { recursive: true });
  await cp(join(REPO, 'package.json'), join(lib, 'package.json'));
  for (const module of await productionModules()) await cp(join(REPO, module), join(lib, module), { recursive: true, verbatimSymlinks: true });
  await writeFile(join(tree, 'usr/bin/usb-updater'), '#!/bin/sh\nexec /usr/bin/node /usr/lib/usb-updater/dist/src/cli/bin.js "$@"\n');
  await chmod(join(tree, 'usr/bin/usb-updater'), 0o755);
  const units = join(tree, 'usr/lib/systemd/system');
  for (const unit of ['usb-updater.service', 'usb-updater-health.service', 'usb-updater-mount@.service']) await cp(join(REPO, 'udev', unit), join(units, unit));
  await mkdir(join(tree, 'usr/lib/udev/rules.d'), { recursive: true });
  await cp(join(REPO, 'udev/99-usb-updater.rules'), join(tree, 'usr/lib/udev/rules.d/99-usb-updater.rules'));
  await mkdir(join(tree, 'etc/usb-updater'), { recursive: true });
  await cp(join(REPO, 'config/config.yaml'), join(tree, 'etc/usb-updater/config.yaml'));
  await mustRun('chroot', [tree, 'systemctl', 'enable', 'usb-updater.service', 'usb-updater-health.service']);
}
