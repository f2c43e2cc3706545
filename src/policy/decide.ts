// The decision: from the candidates found on a stick (with their parsed headers), the device's facts
// and the policy, which artifact to install, if any, and why each candidate was or was not chosen.
// Pure: no I/O, no clock. Deterministic: the same inputs give the same decision, whatever order the
// candidates came in.

import type { ArtifactInfo } from '../artifact/index.js';
import type { Config } from './config-schema.js';
import { incompatibilities, type DeviceFacts } from './device-compat.js';
import type { Reason } from './reasons.js';
import { shorten } from '../log/index.js';
import { namePatternMatcher } from './glob.js';
import { formatSize } from './units.js';
import { compareVersions, extractVersion, isComparable, patternOf } from './version.js';

/** One file found on a stick, as the scanner and the header reader left it. */
export type Candidate =
  | { path: string; status: 'skipped'; reason: Reason }
  | { path: string; status: 'failed'; size: number | null; reason: Reason }
  | { path: string; status: 'read'; size: number | null; info: ArtifactInfo };

export interface MediaFacts {
  fsType?: string | undefined;
  label?: string | undefined;
  uuid?: string | undefined;
  usb?: { vendorId?: string | undefined; productId?: string | undefined; serial?: string | undefined } | undefined;
}

export interface CandidateVerdict {
  path: string;
  verdict: 'accept' | 'reject' | 'skip';
  /** The one to install. */
  selected: boolean;
  artifactName: string | null;
  version: string | null;
  /** Why it was skipped, rejected or, if acceptable, not selected. Empty for the selected one. */
  reasons: Reason[];
  /** Remarks that did not reject it (an unverified signature allowed by the policy…). */
  notes: string[];
}

export interface Decision {
  outcome: 'selected' | 'nothing' | 'ambiguous' | 'media-rejected';
  /** Path of the artifact to install, when the outcome is `selected`. */
  selected: string | null;
  /** One sentence for a technician. */
  summary: string;
  mediaReasons: Reason[];
  running: { artifactName: string | null; version: string | null };
  candidates: CandidateVerdict[];
}

/**
 * Longest artifact name, and longest provide value read for a version, that decide() matches. Every
 * glob and pattern runs in time linear in the name, and this bound makes the whole decision of one
 * candidate a few milliseconds at most, far inside `search.timeout`, whatever the stick holds. Real
 * names are tens of characters; Mender's own tools print them on one line.
 */
export const MAX_NAME_LENGTH = 1024;

type Policy = Pick<Config, 'signature' | 'artifacts' | 'versioning' | 'selection' | 'media'>;

function mediaReasons(media: MediaFacts | null, policy: Policy['media']): Reason[] {
  if (media === null) return [];
  const reasons: Reason[] = [];
  // Unknown facts never pass a restriction: an unknown filesystem type is not an allowed one.
  if (media.fsType === undefined || !policy.filesystems.includes(media.fsType)) {
    reasons.push({ code: 'MEDIA_FILESYSTEM_NOT_ALLOWED', message: `filesystem ${media.fsType ?? '(unknown)'} is not one of ${policy.filesystems.join(', ')}` });
  }
  if (policy.labels.length > 0 && (media.label === undefined || !policy.labels.includes(media.label))) {
    reasons.push({ code: 'MEDIA_LABEL_NOT_ALLOWED', message: `label ${media.label === undefined ? '(none)' : JSON.stringify(media.label)} is not one of ${policy.labels.join(', ')}` });
  }
  // UUIDs are hex: vfat prints them upper-case, ext4 lower-case; case does not matter.
  const uuid = media.uuid?.toLowerCase();
  if (policy.uuids.length > 0 && (uuid === undefined || !policy.uuids.some((u) => u.toLowerCase() === uuid))) {
    reasons.push({ code: 'MEDIA_UUID_NOT_ALLOWED', message: `UUID ${media.uuid ?? '(none)'} is not one of ${policy.uuids.join(', ')}` });
  }
  if (policy.usb.length > 0) {
    const usb = media.usb;
    const same = (want: string | undefined, have: string | undefined): boolean => want === undefined || (have !== undefined && want.toLowerCase() === have.toLowerCase());
    const serialMatches = (want: string | undefined): boolean => want === undefined || want === usb?.serial;
    const allowed = usb !== undefined && policy.usb.some((m) => same(m.vendor_id, usb.vendorId) && same(m.product_id, usb.productId) && serialMatches(m.serial));
    const identity = usb ? `${usb.vendorId ?? '????'}:${usb.productId ?? '????'} serial ${usb.serial ?? '(none)'}` : 'not a USB device';
    if (!allowed) reasons.push({ code: 'MEDIA_USB_NOT_ALLOWED', message: `USB ${identity} matches no media.usb entry` });
  }
  return reasons;
}

/** The version of an artifact, or of the running system, by the versioning rules. */
function versionOf(name: string, provides: readonly Readonly<Record<string, string>>[], versioning: Policy['versioning']): { version: string | null; from: string; tooLong?: true } {
  const source = versioning.source === 'name' ? name : provides.map((p) => p[versioning.provide]).find((v) => v !== undefined);
  const from = versioning.source === 'name' ? `name ${JSON.stringify(shorten(name))}` : `provide ${versioning.provide}`;
  if (source === undefined) return { version: null, from };
  if (source.length > MAX_NAME_LENGTH) return { version: null, from, tooLong: true };
  const version = extractVersion(source, patternOf(versioning));
  return { version: version !== null && isComparable(version, versioning.scheme) ? version : null, from };
}

function signatureReasons(info: ArtifactInfo, policy: Policy['signature'], notes: string[]): Reason[] {
  if (!info.signed) {
    if (policy.required) return [{ code: 'UNSIGNED', message: 'not signed, and this device requires signed artifacts' }];
    notes.push('not signed (allowed: signature.required is false)');
    return [];
  }
  if (info.signature_verified === false) return [{ code: 'SIGNATURE_INVALID', message: 'signed, but the signature does not verify with any configured key' }];
  // Fail closed: a signature that was never checked is not a verified one.
  if (info.signature_verified === null && policy.required) return [{ code: 'SIGNATURE_INVALID', message: 'signed, but the signature was not checked against the configured keys' }];
  if (info.signature_verified === null) notes.push('signed, but not verified: no keys are configured');
  return [];
}

function augmentReasons(info: ArtifactInfo, policy: Policy['signature']): Reason[] {
  if (!info.augmented || policy.allow_augmented) return [];
  const changed: string[] = [];
  info.payloads.forEach((payload, index) => {
    if (payload.augmented.type) changed.push(`payload ${index} type`);
    for (const key of payload.augmented.artifact_depends) changed.push(`payload ${index} depends ${key}`);
    for (const key of payload.augmented.artifact_provides) changed.push(`payload ${index} provides ${key}`);
    for (const file of payload.files) if (file.augmented) changed.push(`payload ${index} file ${file.name} checksum`);
  });
  if (changed.length === 0) return [];
  return [{ code: 'AUGMENTED_FIELDS', message: `the unsigned augment section sets ${changed.join(', ')}` }];
}

function policyReasons(info: ArtifactInfo, policy: Policy): Reason[] {
  const reasons: Reason[] = [];
  if (!namePatternMatcher(policy.artifacts.allow)(info.name)) {
    reasons.push({ code: 'NAME_NOT_ALLOWED', message: `name ${JSON.stringify(info.name)} matches none of artifacts.allow (${policy.artifacts.allow.join(', ')})` });
  }
  const denied = policy.artifacts.deny.filter((pattern) => namePatternMatcher([pattern])(info.name));
  if (denied.length > 0) reasons.push({ code: 'NAME_DENIED', message: `name ${JSON.stringify(info.name)} matches artifacts.deny ${denied.join(', ')}` });
  if (info.payloads.length === 0) reasons.push({ code: 'NO_PAYLOAD', message: 'the artifact has no payload' });
  for (const payload of info.payloads) {
    if (payload.type === null) {
      // A bootstrap artifact (issue 15): only the 4.x+ client takes one, and it installs nothing.
      reasons.push({ code: 'PAYLOAD_TYPE_NOT_ALLOWED', message: 'a payload without a type (a bootstrap artifact): it installs nothing, and the Mender 3.x client does not take it' });
    } else if (!policy.artifacts.payload_types.includes(payload.type)) {
      reasons.push({ code: 'PAYLOAD_TYPE_NOT_ALLOWED', message: `payload type ${JSON.stringify(payload.type)} is not one of ${policy.artifacts.payload_types.join(', ')}` });
    }
  }
  return reasons;
}

interface Evaluated {
  verdict: CandidateVerdict;
  /** For acceptable candidates: what makes two copies the same artifact. */
  identity: string;
}

/** Two candidates with the same identity are copies of one artifact: every header field and checksum agree. */
function identityOf(info: ArtifactInfo): string {
  return JSON.stringify(info);
}

function evaluate(candidate: Candidate, device: DeviceFacts, running: Decision['running'], policy: Policy): Evaluated {
  const base = { path: candidate.path, selected: false, artifactName: null, version: null, notes: [] as string[] };
  if (candidate.status === 'skipped') return { verdict: { ...base, verdict: 'skip', reasons: [candidate.reason] }, identity: '' };
  if (candidate.status === 'failed') return { verdict: { ...base, verdict: 'reject', reasons: [candidate.reason] }, identity: '' };
  const { info } = candidate;
  const notes: string[] = [];
  const reasons: Reason[] = [];
  if (info.name.length > MAX_NAME_LENGTH) {
    // Refused before any glob or pattern sees it: the bound is what keeps the decision fast.
    const tooLong: Reason = { code: 'NAME_TOO_LONG', message: `the name ${JSON.stringify(shorten(info.name))} is ${info.name.length} characters long, more than ${MAX_NAME_LENGTH}` };
    return { verdict: { ...base, artifactName: shorten(info.name), verdict: 'reject', reasons: [tooLong], notes }, identity: '' };
  }
  if (candidate.size !== null && candidate.size > policy.artifacts.max_size) {
    reasons.push({ code: 'TOO_LARGE', message: `${candidate.size} bytes (${formatSize(candidate.size)}), more than artifacts.max_size ${policy.artifacts.max_size} bytes (${formatSize(policy.artifacts.max_size)})` });
  }
  reasons.push(...incompatibilities(info, device), ...signatureReasons(info, policy.signature, notes), ...augmentReasons(info, policy.signature), ...policyReasons(info, policy));
  if (!policy.artifacts.retry_failed && device.failedArtifacts?.includes(info.name) === true) {
    reasons.push({ code: 'FAILED_BEFORE', message: `${info.name} failed or was rolled back on this device before; it is not tried again from a stick` });
  }
  const { version, from, tooLong } = versionOf(info.name, [...info.payloads.map((p) => p.artifact_provides), info.artifact_provides], policy.versioning);
  if (tooLong) {
    reasons.push({ code: 'NAME_TOO_LONG', message: `${from} is longer than ${MAX_NAME_LENGTH} characters; no version is read from it` });
  } else if (version === null) {
    reasons.push({ code: 'NO_VERSION', message: `no ${policy.versioning.scheme} version in ${from} with pattern ${patternOf(policy.versioning)}` });
  } else if (info.name === running.artifactName) {
    if (!policy.versioning.allow_reinstall) reasons.push({ code: 'ALREADY_INSTALLED', message: `${info.name} is the artifact running now` });
  } else if (running.version === null) {
    notes.push('the running version is unknown, so it was not compared');
  } else {
    const order = compareVersions(version, running.version, policy.versioning.scheme);
    if (order < 0 && !policy.versioning.allow_downgrade) reasons.push({ code: 'DOWNGRADE', message: `version ${version} is older than the running ${running.version}` });
    if (order === 0 && !policy.versioning.allow_reinstall) reasons.push({ code: 'SAME_VERSION', message: `version ${version} is the running version` });
  }
  const verdict: CandidateVerdict = { ...base, artifactName: info.name, version, verdict: reasons.length === 0 ? 'accept' : 'reject', reasons, notes };
  return { verdict, identity: identityOf(info) };
}

/** `evaluate`, with whatever it throws (a bug) made that candidate's INTERNAL_ERROR: the others are still decided. */
function evaluateOne(candidate: Candidate, device: DeviceFacts, running: Decision['running'], policy: Policy): Evaluated {
  try {
    return evaluate(candidate, device, running, policy);
  } catch (err) {
    const reason: Reason = { code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) };
    return { verdict: { path: candidate.path, selected: false, artifactName: null, version: null, notes: [], verdict: 'reject', reasons: [reason] }, identity: '' };
  }
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Chooses among the acceptable candidates; marks the chosen one and tells the others why not. */
function select(acceptable: Evaluated[], policy: Policy): { outcome: 'selected' | 'nothing' | 'ambiguous'; chosen: Evaluated | null } {
  if (acceptable.length === 0) return { outcome: 'nothing', chosen: null };
  const scheme = policy.versioning.scheme;
  const versionOrder = (a: Evaluated, b: Evaluated): number => compareVersions(b.verdict.version ?? '', a.verdict.version ?? '', scheme);
  // Copies of one artifact count once: the first by path stands for them, the others are DUPLICATE.
  const originals = new Map<string, Evaluated>();
  for (const e of [...acceptable].sort((a, b) => byPath(a.verdict, b.verdict))) {
    const original = originals.get(e.identity);
    if (original) e.verdict.reasons.push({ code: 'DUPLICATE', message: `a copy of ${original.verdict.path}` });
    else originals.set(e.identity, e);
  }
  // Every acceptable candidate has a version (NO_VERSION rejects); highest first, then by path.
  const ranked = [...originals.values()].sort((a, b) => versionOrder(a, b) || byPath(a.verdict, b.verdict));
  const top = ranked[0] as Evaluated;
  const topVersion = top.verdict.version ?? '';
  const ties = ranked.filter((e) => e !== top && versionOrder(e, top) === 0);
  const ambiguous = ties.length > 0 && policy.selection.on_tie === 'refuse';
  if (ambiguous) {
    const names = [top, ...ties].map((e) => e.verdict.path);
    for (const e of [top, ...ties]) e.verdict.reasons.push({ code: 'AMBIGUOUS', message: `different artifacts with the same version ${topVersion}: ${names.join(', ')}` });
  }
  for (const e of ranked.slice(1)) {
    if (ambiguous && ties.includes(e)) continue;
    if (versionOrder(e, top) === 0) {
      e.verdict.reasons.push({ code: 'TIE_BROKEN', message: `same version as ${top.verdict.path}, which comes first by path (selection.on_tie is first-path)` });
    } else e.verdict.reasons.push({ code: 'NOT_NEWEST', message: `version ${e.verdict.version ?? ''} is older than ${topVersion} in ${top.verdict.path}` });
  }
  if (ambiguous) return { outcome: 'ambiguous', chosen: null };
  top.verdict.selected = true;
  return { outcome: 'selected', chosen: top };
}

function summarize(outcome: Decision['outcome'], candidates: readonly CandidateVerdict[], chosen: CandidateVerdict | null, media: readonly Reason[]): string {
  if (outcome === 'media-rejected') return `this stick is not accepted: ${media.map((r) => r.message).join('; ')}`;
  if (outcome === 'selected' && chosen) return `install ${chosen.artifactName ?? ''} (version ${chosen.version ?? ''}) from ${chosen.path}`;
  if (outcome === 'ambiguous') {
    const tied = candidates.filter((c) => c.reasons.some((r) => r.code === 'AMBIGUOUS')).map((c) => c.path);
    return `nothing installed: ${tied.join(' and ')} are different artifacts with the same version; remove all but one`;
  }
  const artifacts = candidates.filter((c) => c.verdict !== 'skip').length;
  if (artifacts === 0) return 'nothing to install: no artifact found';
  return `nothing to install: ${artifacts} artifact${artifacts === 1 ? '' : 's'} found, none acceptable`;
}

/**
 * Decides what to install from `candidates` on a device with `device` facts, by `policy`. `media`
 * holds the facts of the stick; null when the candidates do not come from a stick (`check` on
 * folders and files), and then the media rules are not applied.
 */
export function decide(candidates: readonly Candidate[], device: DeviceFacts, policy: Policy, media: MediaFacts | null): Decision {
  const runningName = device.provides['artifact_name'] ?? null;
  const running = { artifactName: runningName, version: runningName === null && policy.versioning.source === 'name' ? null : versionOf(runningName ?? '', [device.provides], policy.versioning).version };
  const refused = mediaReasons(media, policy.media);
  const evaluated = [...candidates].sort(byPath).map((c) => evaluateOne(c, device, running, policy));
  const verdicts = evaluated.map((e) => e.verdict);
  if (refused.length > 0) {
    // Nothing on a refused stick is installed: what would have been acceptable is rejected for it.
    for (const v of verdicts.filter((c) => c.verdict === 'accept')) {
      v.verdict = 'reject';
      v.reasons.push(...refused);
    }
    return { outcome: 'media-rejected', selected: null, summary: summarize('media-rejected', verdicts, null, refused), mediaReasons: refused, running, candidates: verdicts };
  }
  const { outcome, chosen } = select(
    evaluated.filter((e) => e.verdict.verdict === 'accept'),
    policy,
  );
  return { outcome, selected: chosen?.verdict.path ?? null, summary: summarize(outcome, verdicts, chosen?.verdict ?? null, refused), mediaReasons: [], running, candidates: verdicts };
}
