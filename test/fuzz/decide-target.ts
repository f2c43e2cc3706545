// Fuzz target 3: what happens to a header once it is parsed. Each input is a config (optional) and
// an artifact; the artifact is read header-only, then decide() chooses among it, a copy of it (the
// identity comparison), a fixture and a failed and a skipped file, and every printer runs on the
// result: the report (text and JSON), the inspect view (text and JSON) and printable(). Any throw
// but an UpdaterError is a finding (a RangeError from a recursive walk included); the time oracle
// judges the whole, so a super-linear match on a crafted name or a user pattern shows.

import { readArtifact, type ArtifactInfo } from '../../src/artifact/index.js';
import { inspectJson, inspectText } from '../../src/cli/format-inspect.js';
import { buildReport, renderReportJson, renderReportText } from '../../src/feedback/index.js';
import { printable } from '../../src/log/index.js';
import { decide, loadConfig, type Candidate, type Config, type Decision, type MediaFacts } from '../../src/policy/index.js';
import { artifact, FIXTURE_NAMES, REPO } from '../support/skip/fixtures.js';
import artifactTarget, { HEADER } from './artifact-target.js';
import configTarget, { FILE, readKeyFile } from './config-target.js';
import { readFolder, regressionInputs } from './corpus-files.js';
import { outcomeOf } from './oracle.js';
import { ARTIFACT_MUTATORS, CONFIG_MUTATORS, type StructuredMutator } from './structure.js';
import type { FuzzTarget } from './target.js';

/** An input is `CONFIG_MARK <yaml> ARTIFACT_MARK <artifact>`, or an artifact alone (the default config). */
const CONFIG_MARK = Buffer.from('#fuzz-config\n');
const ARTIFACT_MARK = Buffer.from('\n#fuzz-artifact\n');

export function splitInput(input: Buffer): { config: string | null; artifact: Buffer } {
  if (!input.subarray(0, CONFIG_MARK.length).equals(CONFIG_MARK)) return { config: null, artifact: input };
  const at = input.indexOf(ARTIFACT_MARK, CONFIG_MARK.length);
  if (at < 0) return { config: null, artifact: input };
  return { config: input.toString('utf8', CONFIG_MARK.length, at), artifact: input.subarray(at + ARTIFACT_MARK.length) };
}

export const joinInput = (config: string, artifactBytes: Buffer): Buffer => Buffer.concat([CONFIG_MARK, Buffer.from(config), ARTIFACT_MARK, artifactBytes]);

const DEFAULT_CONFIG_TEXT = readFolder(`${REPO}config/`, '.yaml').find((f) => f.name === 'config.yaml')?.bytes.toString('utf8') ?? '';
const EXAMPLES = readFolder(`${REPO}config/examples/`, '.yaml').map((f) => f.bytes.toString('utf8'));

async function configOf(text: string): Promise<Config | null> {
  const loaded = await loadConfig(text, FILE, { readKeyFile });
  return loaded.ok ? loaded.loaded.config : null;
}
const DEFAULT_CONFIG = (await configOf(DEFAULT_CONFIG_TEXT)) ?? (() => { throw new Error('config/config.yaml does not load'); })();
const FIXTURE_INFO: ArtifactInfo = await readArtifact([artifact('rootfs-gzip-unsigned.mender')], HEADER);

const DEVICE = { deviceType: 'dev-a', provides: { artifact_name: 'release-1.0', 'rootfs-image.version': '1.0' }, failedArtifacts: ['release-1.1'] };
const MEDIA: MediaFacts = { fsType: 'vfat', label: 'UPDATES', uuid: 'ABCD-1234', usb: { vendorId: '0781', productId: '5583', serial: '4C53' } };
const ROOT = '/run/usb-updater/media/sda1';

/** The structure-aware mutations of the reader's and the config's, each on its part of the input. */
const onArtifact = (mutator: StructuredMutator): StructuredMutator => (input, random) => {
  const { config, artifact: bytes } = splitInput(input);
  const shaped = mutator(bytes, random);
  return shaped === null ? null : config === null ? shaped : joinInput(config, shaped);
};
const onConfig = (mutator: StructuredMutator): StructuredMutator => (input, random) => {
  const { config, artifact: bytes } = splitInput(input);
  const shaped = mutator(Buffer.from(config ?? DEFAULT_CONFIG_TEXT), random);
  return shaped === null ? null : joinInput(shaped.toString('utf8'), bytes);
};

function candidatesFor(read: { ok: true; value: ArtifactInfo } | { ok: false; code: string; message: string }, size: number): Candidate[] {
  const fixture: Candidate = { path: `${ROOT}/c.mender`, status: 'read', size: 4096, info: FIXTURE_INFO };
  const others: Candidate[] = [
    fixture,
    { path: `${ROOT}/d.mender`, status: 'failed', size: 10, reason: { code: 'INVALID_ARTIFACT', message: 'ARTIFACT_TRUNCATED: ends early' } },
    { path: `${ROOT}/.Trash/e.mender`, status: 'skipped', reason: { code: 'HIDDEN_FILE', message: 'in a hidden folder' } },
  ];
  // As src/media/candidates.ts makes a failed read a candidate's reason.
  if (!read.ok) return [{ path: `${ROOT}/a.mender`, status: 'failed', size, reason: { code: 'INVALID_ARTIFACT', message: `${read.code}: ${read.message}` } }, ...others];
  // The same header twice: two copies of one artifact, which decide() must recognise as one.
  return [{ path: `${ROOT}/a.mender`, status: 'read', size, info: read.value }, { path: `${ROOT}/b.mender`, status: 'read', size, info: read.value }, ...others];
}

/** Every printer on the decision and the header: what a person or a log would be shown. */
function print(decision: Decision, info: ArtifactInfo | null, config: Config): number {
  const selected = decision.candidates.find((c) => c.selected) ?? null;
  const report = buildReport({
    at: new Date(0), device: { hostname: 'device-1', machineId: null, deviceType: DEVICE.deviceType }, stick: { label: MEDIA.label ?? '' },
    mountPoint: ROOT, outcome: selected ? 'installed' : 'nothing', artifactBefore: DEVICE.provides.artifact_name, artifactAfter: selected?.artifactName ?? null,
    reboot: config.reboot.mode === 'never' ? 'by-hand' : 'now', decision,
  });
  let length = renderReportText(report).length + renderReportJson(report).length + printable(decision.summary).length;
  for (const c of decision.candidates) for (const r of c.reasons) length += printable(`${c.path}: ${r.code}: ${r.message}`).length;
  if (info !== null) length += inspectText(info).length + JSON.stringify(inspectJson(info)).length;
  return length;
}

const decideTarget: FuzzTarget = {
  name: 'decide',
  seeds: () => [
    ...FIXTURE_NAMES.map((name) => artifact(name)),
    ...EXAMPLES.map((text, i) => joinInput(text, artifact(FIXTURE_NAMES[i % FIXTURE_NAMES.length] as string))),
    ...regressionInputs('decide').map((r) => r.bytes),
  ],
  dictionary: [...artifactTarget.dictionary, ...configTarget.dictionary.slice(0, 40), CONFIG_MARK, ARTIFACT_MARK],
  // Room for a header that decompresses to a long name; the structure-aware children are small anyway.
  maxLength: 256 * 1024,
  covers: (url) => /\/dist\/src\/(policy|feedback|artifact)\//.test(url) || /\/dist\/src\/(cli\/format-inspect|log\/printable)\.js$/.test(url) || url.includes('/node_modules/semver/'),
  structured: [...Object.values(ARTIFACT_MUTATORS).map(onArtifact), ...Object.values(CONFIG_MUTATORS).map(onConfig)],
  async run(input, exec) {
    const { config: text, artifact: bytes } = splitInput(input);
    const loaded = text === null ? { ok: true as const, value: DEFAULT_CONFIG } : await outcomeOf(() => configOf(text), 'loadConfig');
    const config = (loaded.ok ? loaded.value : null) ?? DEFAULT_CONFIG;
    const read = await outcomeOf(() => readArtifact([bytes], HEADER), 'header-only read');
    const media = exec % 2 === 0 ? MEDIA : null;
    const decision = await outcomeOf(() => Promise.resolve(decide(candidatesFor(read, bytes.length), DEVICE, config, media)), 'decide');
    if (!decision.ok) return `read ${read.ok ? 'ok' : read.code}, decide ${decision.code}`;
    const printed = await outcomeOf(() => Promise.resolve(print(decision.value, read.ok ? read.value : null, config)), 'printing');
    return `config ${text === null ? 'default' : config === DEFAULT_CONFIG ? 'rejected' : 'ok'}, read ${read.ok ? 'ok' : read.code}, ${decision.value.outcome}${printed.ok ? '' : `, printing ${printed.code}`}`;
  },
};

export default decideTarget;
