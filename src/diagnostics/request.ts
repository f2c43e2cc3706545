// A diagnostics request found on a stick, and the pure decision whether it is honoured: the bytes
// of the request and of its detached signature come in (bounded by the caller's read), with a
// verifier for the keys that may sign requests, the clock and this device's type and id. The
// signature is checked before a byte of the request is interpreted: nothing unsigned is parsed.

import * as z from 'zod';
import type { ErrorCode } from '../errors/index.js';
import { printable, shorten } from '../log/index.js';

/** The request and its signature, at the root of the stick. */
export const REQUEST_FILE = 'usb-updater-diagnostics.json';
export const SIGNATURE_FILE = `${REQUEST_FILE}.sig`;
export const REQUEST_FORMAT = 1;
/** A request is a few hundred bytes; a signature in base64 at most 700 (RSA 4096). */
export const REQUEST_MAX_BYTES = 4096;
export const SIGNATURE_MAX_BYTES = 2048;
/** A clock a little ahead of the laptop's that signed is no reason to refuse. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** What reading one of the two files gave: its bytes, nothing there, or why it was not read. */
export type RequestFileRead = { status: 'ok'; bytes: Uint8Array } | { status: 'missing' } | { status: 'refused'; message: string };

export type DiagnosticsRefusal = Extract<ErrorCode, `DIAGNOSTICS_${string}`>;

const isoTime = z.iso.datetime({ offset: true });
const hexId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hexadecimal digits (the id in a report from the device)');

const requestSchema = z
  .strictObject({
    format: z.literal(REQUEST_FORMAT),
    device_type: z.string().min(1).max(256).optional(),
    device_id: hexId.optional(),
    issued: isoTime,
    expires: isoTime,
    nonce: z.string().regex(/^[0-9a-f]{16,64}$/, 'must be 16 to 64 lowercase hexadecimal digits'),
  })
  .refine((r) => (r.device_type === undefined) !== (r.device_id === undefined), 'must name exactly one of device_type and device_id');

export type DiagnosticsRequest = z.output<typeof requestSchema>;

export interface RequestInput {
  /** Diagnostics on (`diagnostics.enabled`). */
  enabled: boolean;
  request: RequestFileRead;
  signature: RequestFileRead;
  /** The source (file) of the key that verifies `signature` over `data`, or null when none does. */
  verify: (data: Uint8Array, signature: Uint8Array) => string | null;
  now: Date;
  /** `diagnostics.max_validity`, in milliseconds. */
  maxValidityMs: number;
  device: { deviceType: string | null; deviceId: string | null };
}

export type RequestDecision =
  | { accepted: true; request: DiagnosticsRequest; key: string }
  | { accepted: false; code: DiagnosticsRefusal; message: string };

const refuse = (code: DiagnosticsRefusal, message: string): RequestDecision => ({ accepted: false, code, message });

/** `manifest.sig`'s form: padded base64 on one line, a newline allowed at the end. */
function decodeBase64(bytes: Uint8Array): Uint8Array | null {
  const text = Buffer.from(bytes).toString('latin1').replace(/\r?\n$/, '');
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

/** What is wrong with a request, or the request. Problems quote its text: printable and short. */
function parseRequest(bytes: Uint8Array): DiagnosticsRequest | string {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    return `not JSON in UTF-8 (${printable(shorten((err as Error).message))})`;
  }
  const parsed = requestSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  return printable(shorten(parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '), 400));
}

const hours = (ms: number): string => `${Math.round(ms / 3_600_000)} h`;

/**
 * Whether the request is honoured, or null when the stick carries none. Order: off, the files'
 * reads, the signature (present, then valid), then the content (format, times, target device).
 */
export function decideRequest(input: RequestInput): RequestDecision | null {
  const { request, signature } = input;
  if (request.status === 'missing') return null;
  if (!input.enabled) return refuse('DIAGNOSTICS_DISABLED', `${REQUEST_FILE} found, but diagnostics are off on this device`);
  if (request.status === 'refused') return refuse('DIAGNOSTICS_REQUEST_MALFORMED', `${REQUEST_FILE}: ${request.message}`);
  if (signature.status === 'missing') return refuse('DIAGNOSTICS_REQUEST_UNSIGNED', `${REQUEST_FILE} has no ${SIGNATURE_FILE} beside it`);
  if (signature.status === 'refused') return refuse('DIAGNOSTICS_REQUEST_MALFORMED', `${SIGNATURE_FILE}: ${signature.message}`);
  const sig = decodeBase64(signature.bytes);
  if (sig === null) return refuse('DIAGNOSTICS_REQUEST_SIGNATURE_INVALID', `${SIGNATURE_FILE}: not base64-encoded`);
  const key = input.verify(request.bytes, sig);
  if (key === null) return refuse('DIAGNOSTICS_REQUEST_SIGNATURE_INVALID', `${REQUEST_FILE}: its signature does not verify with any key that may sign requests`);
  const parsed = parseRequest(request.bytes);
  if (typeof parsed === 'string') return refuse('DIAGNOSTICS_REQUEST_MALFORMED', `${REQUEST_FILE}: ${parsed}`);
  const now = input.now.getTime();
  const issued = Date.parse(parsed.issued);
  const expires = Date.parse(parsed.expires);
  if (expires <= issued) return refuse('DIAGNOSTICS_REQUEST_EXPIRED', `${REQUEST_FILE}: expires (${parsed.expires}) is not after issued (${parsed.issued})`);
  if (expires - issued > input.maxValidityMs) {
    return refuse('DIAGNOSTICS_REQUEST_EXPIRED', `${REQUEST_FILE}: valid for ${hours(expires - issued)}, longer than diagnostics.max_validity (${hours(input.maxValidityMs)})`);
  }
  if (now >= expires) return refuse('DIAGNOSTICS_REQUEST_EXPIRED', `${REQUEST_FILE}: expired at ${parsed.expires} (the device's clock says ${input.now.toISOString()})`);
  // A device without a clock starts in 1970: such a request is refused, not taken as valid forever.
  if (now < issued - CLOCK_SKEW_MS) return refuse('DIAGNOSTICS_REQUEST_EXPIRED', `${REQUEST_FILE}: not valid before ${parsed.issued}, and the device's clock says ${input.now.toISOString()} (is it set?)`);
  const { deviceType, deviceId } = input.device;
  if (parsed.device_type !== undefined && parsed.device_type !== deviceType) {
    return refuse('DIAGNOSTICS_REQUEST_FOREIGN', `${REQUEST_FILE}: for device type ${printable(JSON.stringify(parsed.device_type))}; this device is ${deviceType === null ? 'of unknown type' : printable(JSON.stringify(deviceType))}`);
  }
  if (parsed.device_id !== undefined && parsed.device_id !== deviceId) {
    return refuse('DIAGNOSTICS_REQUEST_FOREIGN', `${REQUEST_FILE}: for device id ${parsed.device_id}; this device is ${deviceId ?? 'without an id'}`);
  }
  return { accepted: true, request: parsed, key };
}

/** The request's bytes as the CLI writes them: one line of JSON, fields in a fixed order. */
export function requestText(request: DiagnosticsRequest): string {
  const ordered = { format: request.format, ...(request.device_type === undefined ? {} : { device_type: request.device_type }), ...(request.device_id === undefined ? {} : { device_id: request.device_id }), issued: request.issued, expires: request.expires, nonce: request.nonce };
  return `${JSON.stringify(ordered)}\n`;
}

/** Checks a request the CLI is about to sign, with the same schema the device uses; null when good. */
export function requestProblem(request: DiagnosticsRequest): string | null {
  const parsed = parseRequest(Buffer.from(requestText(request)));
  return typeof parsed === 'string' ? parsed : null;
}
