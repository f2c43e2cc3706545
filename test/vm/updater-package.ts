// usb-updater as a device maker puts it into the image: the Debian package that `npm run package`
// builds, installed with dpkg in the image's chroot at image-build time (its postinst enables the
// units; systemd and udev are not running there, so it only makes the links). The cache key is a
// hash of what the package is built from, so a warm run neither builds nor installs anything.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { REPO } from '../support/skip/fixtures.js';
import { hashOf } from './vm-cache.js';
import { mustRun } from './command.js';

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

/** Builds the package (`npm run package`) and installs it into the root filesystem `tree` with dpkg. */
export async function installUpdaterPackage(tree: string): Promise<void> {
  const out = await mkdtemp(join(tree, 'tmp', 'usb-updater-package-'));
  try {
    const built = await mustRun(process.execPath, [join(REPO, '.ci/package.mjs'), '--out', out]);
    const deb = (await readdir(out)).find((name) => /^usb-updater_.+_all\.deb$/.test(name));
    if (deb === undefined) throw new Error(`vm: npm run package wrote no .deb:\n${built.output}`);
    await mustRun('chroot', [tree, 'dpkg', '-i', join('/', relative(tree, out), deb)]);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
