// Human units in the config file: durations (`30s`, `5m`, `1h30m`) and sizes (`8GiB`, `512MB`).
// Both parse to integers (milliseconds, bytes) so the rest of the code never sees a unit.

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Milliseconds for `30s`, `5m`, `1h30m`, `250ms`; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return null;
  let total = 0;
  let previous = Number.POSITIVE_INFINITY;
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART)) {
    const factor = DURATION_UNITS[unit ?? ''] ?? Number.NaN;
    // Units from largest to smallest, each once: 1h30m, never 30m1h or 1s1s.
    if (!(factor < previous)) return null;
    previous = factor;
    total += Number(amount) * factor;
  }
  return Number.isFinite(total) ? Math.round(total) : null;
}

/** `5m`, `1m30s`, `250ms`: milliseconds written the way the config file takes them. */
export function formatDuration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms / 1000;
  for (const [unit, seconds] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    const amount = Math.floor(rest / seconds);
    rest -= amount * seconds;
    if (amount > 0) parts.push(`${amount}${unit}`);
  }
  return parts.join('');
}

// Binary units are what people mean for media; decimal ones are accepted and taken literally.
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/;

/** Whether `text` is written as a size (a number and a known unit), whatever its value. */
export function looksLikeSize(text: string): boolean {
  const match = SIZE.exec(text.trim());
  return match !== null && SIZE_UNITS[match[2] ?? ''] !== undefined;
}

/** Bytes for `8GiB`, `512MB`, `4096`; null when the text is not a size. */
export function parseSize(text: string): number | null {
  const match = SIZE.exec(text.trim());
  if (!match) return null;
  const factor = SIZE_UNITS[match[2] ?? ''];
  if (factor === undefined) return null;
  // Rounded, not floored: 4.1 * 1e6 is 4099999.999… in binary floating point.
  const bytes = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

export function formatSize(bytes: number): string {
  for (const [unit, factor] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= factor) return `${Number((bytes / factor).toFixed(2))} ${unit}`;
  }
  return `${bytes} B`;
}
