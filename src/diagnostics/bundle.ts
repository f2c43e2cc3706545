// The diagnostics bundle's content: which files it holds, each cut to fit one size bound for the
// whole bundle, and its folder name. Pure: the parts come in as text, gathered by the daemon. A
// part cut short says so in its last (or first) line and in the summary; logs keep their newest lines.

/** One file of the bundle: its name, its text, and which end to keep when it must be cut. */
export interface BundlePart {
  name: string;
  text: string;
  keep: 'head' | 'tail';
}

export interface BundleFile {
  name: string;
  data: string;
}

export interface FittedBundle {
  files: BundleFile[];
  /** The parts cut short (or left out), for the summary. */
  cut: { name: string; bytes: number; keptBytes: number }[];
  bytes: number;
}

/** Room kept for summary.json, which is written last and names what was cut. */
export const SUMMARY_RESERVE = 16 * 1024;

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The longest head (or tail) of `text` within `max` bytes, cut at a line where there is one. */
function cutText(text: string, max: number, keep: 'head' | 'tail', marker: string): string {
  const room = max - byteLength(marker);
  if (room <= 0) return '';
  const bytes = Buffer.from(text, 'utf8');
  if (keep === 'head') {
    let part = bytes.subarray(0, room).toString('utf8').replace(/\uFFFD$/u, '');
    const lastNewline = part.lastIndexOf('\n');
    if (lastNewline > 0) part = part.slice(0, lastNewline + 1);
    return `${part}${marker}`;
  }
  let part = bytes.subarray(bytes.length - room).toString('utf8').replace(/^\uFFFD/u, '');
  const firstNewline = part.indexOf('\n');
  if (firstNewline >= 0 && firstNewline < part.length - 1) part = part.slice(firstNewline + 1);
  return `${marker}${part}`;
}

/**
 * The parts, in order, within `maxBytes` all together (SUMMARY_RESERVE kept aside): each part
 * takes what is left, cut when it does not fit, so the first parts (the small, most telling ones)
 * are whole and the last (the log) is cut first. A part with no room left is left out.
 */
export function fitBundle(parts: readonly BundlePart[], maxBytes: number): FittedBundle {
  let left = Math.max(0, maxBytes - SUMMARY_RESERVE);
  const files: BundleFile[] = [];
  const cut: FittedBundle['cut'] = [];
  for (const part of parts) {
    const size = byteLength(part.text);
    if (size <= left) {
      files.push({ name: part.name, data: part.text });
      left -= size;
      continue;
    }
    const marker = part.keep === 'head' ? `\n[cut: ${size} bytes, the first ${left} kept; diagnostics.max_size]\n` : `[cut: ${size} bytes, the last ${left} kept; diagnostics.max_size]\n`;
    const data = cutText(part.text, left, part.keep, marker);
    const keptBytes = byteLength(data);
    cut.push({ name: part.name, bytes: size, keptBytes });
    if (data !== '') files.push({ name: part.name, data });
    left -= keptBytes;
  }
  return { files, cut, bytes: files.reduce((sum, f) => sum + byteLength(f.data), 0) };
}

/** Every occurrence of each secret replaced by `[redacted]`: the raw machine id never leaves the device. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** 20261127T170512Z: sorts by time, and has no `:` (which FAT does not allow in names). */
const compactTime = (at: Date): string => `${at.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;

/**
 * The bundle's folder, inside the report folder: `diagnostics-<id>-<time>`, the id being the
 * application-specific one (a host name, made safe, when the device has none).
 */
export function bundleFolderName(id: string, at: Date): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.]+/, '').slice(0, 64) || 'device';
  return `diagnostics-${safe}-${compactTime(at)}`;
}
