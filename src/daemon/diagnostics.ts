// Diagnostics on request (issue 17), for a stick the daemon has handled: the request on it is read
// and judged (src/diagnostics), and when it is honoured the bundle is gathered from this device,
// cut to its bound, cleared of the raw machine id, and written beside the reports. Runs after the
// stick's update is done (never before an immediate reboot), so a request never delays an update.

import { dirname, join } from 'node:path';
import { bundleFolderName, decideRequest, fitBundle, redact, type BundleFile, type BundlePart } from '../diagnostics/index.js';
import { errorCodeOf } from '../errors/index.js';
import type { DiagnosticsInput } from '../feedback/index.js';
import { readStatus } from '../install/index.js';
import type { Logger } from '../log/index.js';
import type { StickIdentity } from '../media/index.js';
import type { DeviceFacts, LoadedConfig } from '../policy/index.js';
import { clientVersion, freeSpace, readFileTail, serviceLogLines, type FileTail, type FreeSpace } from '../system/diagnostics/device-sources.js';
import { readRequestFiles } from '../system/diagnostics/request-files.js';
import { loadRequestKeys, requestVerifier } from '../system/diagnostics/request-keys.js';
import { packageVersion } from '../system/os/package-info.js';
import { deviceProvides, readDeviceType } from '../system/policy/device-facts.js';
import { writeBundleToStick } from '../system/report/bundle-writer.js';
import { appSpecificId, readMachineIdentity, readRawMachineId } from '../system/report/machine-identity.js';
import { realStickReportSystem, type StickReportResult } from '../system/report/report-writer.js';

/** What the diagnostics need from the device; tests replace parts of it. */
export interface DiagnosticsSystem {
  now(): Date;
  readRequest: typeof readRequestFiles;
  rawMachineId(): Promise<string | null>;
  hostname(): Promise<string>;
  deviceType(path: string): Promise<string>;
  provides(): Promise<Record<string, string>>;
  usbUpdaterVersion(): string;
  clientVersion(): Promise<string>;
  logLines(lines: number, maxBytes: number, logFile: string | null): Promise<{ source: string; text: string }>;
  freeSpace(paths: readonly string[]): Promise<FreeSpace[]>;
  readTail(path: string, maxBytes: number): Promise<FileTail>;
  writeBundle(stick: StickIdentity, folder: string, name: string, files: readonly BundleFile[], logger: Logger): Promise<StickReportResult>;
}

export const realDiagnosticsSystem: DiagnosticsSystem = {
  now: () => new Date(),
  readRequest: readRequestFiles,
  rawMachineId: () => readRawMachineId(),
  hostname: async () => (await readMachineIdentity()).hostname,
  deviceType: readDeviceType,
  provides: () => deviceProvides(),
  usbUpdaterVersion: packageVersion,
  clientVersion: () => clientVersion(),
  logLines: (lines, maxBytes, logFile) => serviceLogLines(lines, maxBytes, logFile),
  freeSpace,
  readTail: readFileTail,
  // MAJ:MIN, not the device name: what the kernel says is mounted there must be this very stick.
  writeBundle: (stick, folder, name, files, logger) => writeBundleToStick(stick.mountPoint, stick.majMin, folder, name, files, realStickReportSystem, logger),
};

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
const tailText = (tail: FileTail): string => (tail.status === 'ok' ? tail.text : `(${tail.message})\n`);

/** The parts of the bundle, most telling first: the log comes last, so it is the one cut. */
async function gatherParts(loaded: LoadedConfig, system: DiagnosticsSystem): Promise<{ parts: BundlePart[]; logSource: string }> {
  const { config } = loaded;
  const dir = config.state.dir;
  const max = config.diagnostics.max_size;
  let status: unknown;
  try {
    status = await readStatus(dir, 100);
  } catch (err) {
    status = { error: { code: errorCodeOf(err), message: describe(err) } };
  }
  const journal = await system.readTail(join(dir, 'journal.json'), max);
  const ledger = await system.readTail(join(dir, 'ledger.jsonl'), max);
  const log = await system.logLines(config.diagnostics.log_lines, max, config.logging.file?.path ?? null);
  return {
    logSource: log.source,
    parts: [
      { name: 'status.json', text: json(status), keep: 'head' },
      { name: 'journal.json', text: tailText(journal), keep: 'head' },
      { name: 'ledger.jsonl', text: tailText(ledger), keep: 'tail' },
      { name: 'service.log', text: log.text, keep: 'tail' },
    ],
  };
}

/**
 * The request on the stick, judged, and the bundle written when it is honoured: what the report
 * says of it, or null when the stick carries no request. Never throws: a bundle never fails a stick.
 */
export type DiagnosticsRunner = (stick: StickIdentity, loaded: LoadedConfig, device: DeviceFacts | null, logger: Logger) => Promise<DiagnosticsInput | null>;

export async function handleDiagnostics(stick: StickIdentity, loaded: LoadedConfig, device: DeviceFacts | null, logger: Logger, system: DiagnosticsSystem = realDiagnosticsSystem): Promise<DiagnosticsInput | null> {
  try {
    // Most sticks carry no request: nothing else is read for them.
    const files = await system.readRequest(stick.mountPoint);
    if (files.request.status === 'missing') return null;
    const settings = loaded.config.diagnostics;
    const rawId = await system.rawMachineId();
    const deviceId = rawId === null ? null : appSpecificId(rawId);
    const deviceType = device?.deviceType ?? (await system.deviceType(loaded.config.device.device_type_file).catch(() => null));
    const keys = settings.enabled && settings.keys.length > 0 ? await loadRequestKeys(settings.keys, dirname(loaded.file)) : loaded.keys;
    const decision = decideRequest({ enabled: settings.enabled, ...files, verify: requestVerifier(keys), now: system.now(), maxValidityMs: settings.max_validity, device: { deviceType, deviceId } });
    if (decision === null) return null;
    if (!decision.accepted) {
      logger.warn('diagnostics request refused', { mountPoint: stick.mountPoint, code: decision.code, error: decision.message });
      return { status: 'refused', code: decision.code, message: decision.message };
    }
    logger.info('diagnostics request accepted', { mountPoint: stick.mountPoint, nonce: decision.request.nonce, key: decision.key });
    const at = system.now();
    const { parts, logSource } = await gatherParts(loaded, system);
    const fitted = fitBundle(parts, settings.max_size);
    const provides = device?.provides ?? (await system.provides().catch((): Record<string, string> => ({})));
    const summary = {
      format: 1,
      time: at.toISOString(),
      request: { ...decision.request, key: decision.key },
      device: { id: deviceId, hostname: await system.hostname(), deviceType },
      versions: { usbUpdater: system.usbUpdaterVersion(), client: await system.clientVersion(), artifactName: provides['artifact_name'] ?? null },
      freeSpace: await system.freeSpace([loaded.config.state.dir, '/', stick.mountPoint]),
      log: { source: logSource, lines: loaded.config.diagnostics.log_lines },
      files: fitted.files.map((f) => ({ name: f.name, bytes: Buffer.byteLength(f.data) })),
      cut: fitted.cut,
    };
    // The summary is small (its strings are bounded); the raw machine id is in nothing written.
    const secrets = rawId === null ? [] : [rawId];
    const bundle = [...fitted.files, { name: 'summary.json', data: json(summary) }].map((f) => ({ name: f.name, data: redact(f.data, secrets) }));
    const name = bundleFolderName(deviceId ?? summary.device.hostname, at);
    const folder = loaded.config.report.folder;
    const result = await system.writeBundle(stick, folder, name, bundle, logger);
    if (result.status === 'not-written') return { status: 'not-written', message: result.message };
    const written = result.files[0] ?? name;
    return { status: 'written', folder: `${folder}/${written.slice(written.lastIndexOf('/') + 1)}`, files: bundle.length, bytes: bundle.reduce((n, f) => n + Buffer.byteLength(f.data), 0) };
  } catch (err) {
    logger.error('diagnostics not written', { mountPoint: stick.mountPoint, code: errorCodeOf(err), error: describe(err) });
    return { status: 'not-written', message: describe(err) };
  }
}
