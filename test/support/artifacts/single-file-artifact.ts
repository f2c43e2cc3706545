// Writes module-image artifacts for the `single-file` update module with the real mender-artifact,
// so that installing one writes a known file into a known directory. Each option maps to exactly one
// mender-artifact flag: tests read which header field they exercise from the option they set.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

export interface SingleFileArtifactSpec {
  /** Where the artifact is written. */
  output: string;
  /** `-n`: artifact_provides.artifact_name. */
  name: string;
  /** `-t`, once each: artifact_depends.device_type. */
  deviceTypes: readonly string[];
  /** The single-file module copies the payload file into this directory on install. */
  destDir: string;
  /** The payload file's name and bytes (default `payload.txt` holding the artifact name). */
  fileName?: string;
  content?: string | Buffer;
  /** `-g`: artifact_provides.artifact_group. */
  group?: string;
  /** `-N`, once each: header-info artifact_depends.artifact_name (any of). */
  dependsNames?: readonly string[];
  /** `-G`, once each: header-info artifact_depends.artifact_group (any of). */
  dependsGroups?: readonly string[];
  /** `-d KEY:VALUE`: type-info artifact_depends. */
  depends?: Readonly<Record<string, string>>;
  /** `-p KEY:VALUE`: type-info artifact_provides. */
  provides?: Readonly<Record<string, string>>;
  /** `--clears-provides`, once each: type-info clears_artifact_provides. */
  clearsProvides?: readonly string[];
  /**
   * Leave out what mender-artifact adds by default (`rootfs-image.single-file.version` and the
   * matching clears_artifact_provides entry), so the payload provides exactly `provides`.
   */
  noDefaults?: boolean;
  /** `-k`: a private key (PEM file) to sign with. */
  signKey?: string;
}

const run = promisify(execFile);

const pairs = (flag: string, record: Readonly<Record<string, string>> = {}): string[] =>
  Object.entries(record).flatMap(([key, value]) => [flag, `${key}:${value}`]);

const repeat = (flag: string, values: readonly string[] = []): string[] => values.flatMap((value) => [flag, value]);

/** The mender-artifact command line for `spec`, payload files taken from `stage`. */
export function singleFileArtifactArgs(spec: SingleFileArtifactSpec, stage: string): string[] {
  const fileName = spec.fileName ?? 'payload.txt';
  return [
    'write', 'module-image', '--type', 'single-file', '--compression', 'none',
    '--artifact-name', spec.name,
    ...repeat('--device-type', spec.deviceTypes),
    ...(spec.group === undefined ? [] : ['--provides-group', spec.group]),
    ...repeat('--artifact-name-depends', spec.dependsNames),
    ...repeat('--depends-groups', spec.dependsGroups),
    ...pairs('--depends', spec.depends),
    ...pairs('--provides', spec.provides),
    ...repeat('--clears-provides', spec.clearsProvides),
    ...(spec.noDefaults ? ['--no-default-software-version', '--no-default-clears-provides'] : []),
    ...(spec.signKey === undefined ? [] : ['--key', spec.signKey]),
    // The module reads these three files from the payload: where to put the file, its name, its mode.
    ...['dest_dir', 'filename', 'permissions', fileName].flatMap((file) => ['--file', join(stage, file)]),
    '--output-path', spec.output,
  ];
}

/** Writes the artifact; rejects with mender-artifact's own message when it refuses the options. */
export async function writeSingleFileArtifact(spec: SingleFileArtifactSpec): Promise<void> {
  const stage = await mkdtemp(join(dirname(spec.output), '.single-file-'));
  try {
    const fileName = spec.fileName ?? 'payload.txt';
    await writeFile(join(stage, 'dest_dir'), `${spec.destDir}\n`);
    await writeFile(join(stage, 'filename'), `${fileName}\n`);
    await writeFile(join(stage, 'permissions'), '644\n');
    await writeFile(join(stage, fileName), spec.content ?? `${spec.name}\n`);
    await run('mender-artifact', singleFileArtifactArgs(spec, stage));
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
