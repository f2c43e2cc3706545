// `usb-updater check PATH...`: what would be installed from these sticks or files, and why each
// candidate was accepted, rejected or skipped. Reads headers only; installs nothing. Device facts
// come from flags (a technician's laptop, no Mender needed) or from the device itself.

import { UpdaterError } from '../errors/index.js';
// preview.ts itself, not the install barrel: check reads headers only, and the barrel would load the
// whole deployment (client backend, state machine, journal, boot check) for it to start.
import { previewUpdate } from '../install/preview.js';
import { printable } from '../log/index.js';
import type { Decision, DeviceFacts, LoadedConfig } from '../policy/index.js';
import { readDeviceType, deviceProvides } from '../system/policy/device-facts.js';
import { CHECK_EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { loadPolicy } from './load-config.js';

export interface CheckOptions {
  config: string;
  deviceType?: string;
  provides: string[];
  json: boolean;
}

function parseProvidesFlags(flags: readonly string[]): Record<string, string> {
  const provides: Record<string, string> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0) throw new UpdaterError('USAGE_ERROR', `--provides ${JSON.stringify(flag)}: write KEY=VALUE, e.g. artifact_name=release-1.0`);
    provides[flag.slice(0, at)] = flag.slice(at + 1);
  }
  return provides;
}

async function deviceFacts(options: CheckOptions, flagged: Record<string, string>, loaded: LoadedConfig): Promise<DeviceFacts> {
  // With --device-type the facts are the flags alone: on a laptop there is no client to ask.
  if (options.deviceType !== undefined) return { deviceType: options.deviceType, provides: flagged };
  const deviceType = await readDeviceType(loaded.config.device.device_type_file);
  const provides = options.provides.length > 0 ? flagged : await deviceProvides();
  return { deviceType, provides };
}

function textReport(decision: Decision, device: DeviceFacts, loaded: LoadedConfig): string {
  const lines: string[] = [];
  const running = decision.running;
  const version = running.version === null ? 'unknown' : running.version;
  lines.push(`Device: type ${device.deviceType}, running ${running.artifactName ?? '(unknown)'} (version ${version})`);
  const signature = loaded.config.signature;
  lines.push(`Policy: ${loaded.file} (signature ${signature.required ? 'required' : 'optional'}, ${signature.keys.length} key${signature.keys.length === 1 ? '' : 's'})`);
  for (const reason of decision.mediaReasons) lines.push(`Stick refused (${reason.code}): ${reason.message}`);
  lines.push('');
  if (decision.candidates.length === 0) lines.push('No candidate files found.');
  for (const c of decision.candidates) {
    const label = c.verdict.toUpperCase().padEnd(6);
    const what = c.artifactName === null ? '' : `  ${c.artifactName}${c.version === null ? '' : ` (version ${c.version})`}`;
    lines.push(`${label}  ${c.path}${what}${c.selected ? '  <- will be installed' : ''}`);
    for (const reason of c.reasons) lines.push(`        ${c.verdict === 'accept' ? 'not chosen, ' : ''}${reason.code}: ${reason.message}`);
    for (const note of c.notes) lines.push(`        note: ${note}`);
  }
  lines.push('', `Result: ${decision.summary}`);
  return lines.map(printable).join('\n') + '\n';
}

function jsonReport(decision: Decision, device: DeviceFacts, loaded: LoadedConfig): unknown {
  return {
    config: loaded.file,
    device: { device_type: device.deviceType, provides: device.provides },
    running: { artifact_name: decision.running.artifactName, version: decision.running.version },
    outcome: decision.outcome,
    selected: decision.selected,
    summary: decision.summary,
    media_reasons: decision.mediaReasons,
    candidates: decision.candidates.map((c) => ({
      path: c.path,
      verdict: c.verdict,
      selected: c.selected,
      artifact_name: c.artifactName,
      version: c.version,
      reasons: c.reasons,
      notes: c.notes,
    })),
  };
}

export async function check(paths: readonly string[], options: CheckOptions, io: Io): Promise<number> {
  // Malformed flags are reported before anything is read.
  const flagged = parseProvidesFlags(options.provides);
  const loaded = await loadPolicy(options.config, io);
  const facts = deviceFacts(options, flagged, loaded);
  const decision = await previewUpdate(paths, loaded, facts);
  const device = await facts;
  io.stdout.write(options.json ? JSON.stringify(jsonReport(decision, device, loaded), null, 2) + '\n' : textReport(decision, device, loaded));
  return decision.outcome === 'selected' ? CHECK_EXIT.SELECTED : CHECK_EXIT.NOTHING;
}
