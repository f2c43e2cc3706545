// `usb-updater diagnostics request`: on a laptop, a diagnostics request for one device type or one
// device id, valid from now until `--expires`, signed with a private key whose public half the
// devices trust (diagnostics.keys, else signature.keys). The device checks it with the same schema.

import { randomBytes } from 'node:crypto';
import { requestProblem, requestText, type DiagnosticsRequest } from '../diagnostics/index.js';
import { UpdaterError } from '../errors/index.js';
import { parseDuration } from '../policy/index.js';
import { writeRequestFiles } from '../system/diagnostics/request-files.js';
import { readPrivateKey, signRequest } from '../system/diagnostics/request-keys.js';
import type { Io } from './io.js';

export interface RequestOptions {
  key: string;
  deviceType?: string;
  deviceId?: string;
  /** A duration from now (24h) or an ISO 8601 time with its offset. */
  expires: string;
  out: string;
  json: boolean;
}

/** ISO 8601 to the second: what a person reads and what `date -u +%FT%TZ` writes. */
const isoSeconds = (at: Date): string => `${at.toISOString().slice(0, 19)}Z`;

function expiryOf(text: string, now: Date): Date {
  const ms = parseDuration(text);
  if (ms !== null) return new Date(now.getTime() + ms);
  if (/^\d{4}-\d\d-\d\dT/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(Date.parse(text));
  throw new UpdaterError('USAGE_ERROR', `--expires ${JSON.stringify(text)}: write a duration from now (24h, 90m) or an ISO 8601 time (2026-12-07T18:00:00Z)`);
}

export async function diagnosticsRequest(options: RequestOptions, io: Io, now = new Date()): Promise<number> {
  if ((options.deviceType === undefined) === (options.deviceId === undefined)) throw new UpdaterError('USAGE_ERROR', 'give exactly one of --device-type and --device-id');
  const request: DiagnosticsRequest = {
    format: 1,
    ...(options.deviceType === undefined ? {} : { device_type: options.deviceType }),
    ...(options.deviceId === undefined ? {} : { device_id: options.deviceId }),
    issued: isoSeconds(now),
    expires: isoSeconds(expiryOf(options.expires, now)),
    nonce: randomBytes(16).toString('hex'),
  };
  const problem = requestProblem(request);
  if (problem !== null) throw new UpdaterError('USAGE_ERROR', `the request would be refused by every device: ${problem}`);
  if (Date.parse(request.expires) <= now.getTime()) throw new UpdaterError('USAGE_ERROR', `--expires ${options.expires}: the request would have expired already`);
  const text = requestText(request);
  const signature = signRequest(await readPrivateKey(options.key), options.key, Buffer.from(text));
  const files = await writeRequestFiles(options.out, text, signature);
  if (options.json) io.stdout.write(`${JSON.stringify({ request, files }, null, 2)}\n`);
  else {
    const target = request.device_type === undefined ? `the device with id ${request.device_id}` : `devices of type ${request.device_type}`;
    io.stdout.write(`Wrote ${files.join(' and ')}: a diagnostics request for ${target}, valid until ${request.expires}.\nCopy both files to the top folder of the stick.\n`);
  }
  return 0;
}
