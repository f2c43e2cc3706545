// Parses /proc/self/mountinfo, the source of truth for mounts, decoding the kernel's octal escapes
// (\040 space, \012 newline): a hostile directory name cannot split or forge an entry.

export interface MountEntry {
  /** Unique id of this mount (field 1); a remount of the same device gets a new one. */
  id: number;
  /** `MAJ:MIN` of the device the filesystem lives on (0:N for virtual filesystems). */
  majMin: string;
  /** The directory of the filesystem that is mounted here (`/` unless a bind mount). */
  root: string;
  mountPoint: string;
  fsType: string;
  /** What mount(8) was given as the source, e.g. /dev/sdb1: informative only, never trusted. */
  source: string;
  /** Per-mount options (ro, nosuid, nodev, noexec…). */
  options: string[];
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** One line of mountinfo, or null for a line that does not have the documented shape. */
export function parseMountInfoLine(line: string): MountEntry | null {
  const fields = line.split(' ');
  // Optional fields (shared:N, master:N…) sit between field 6 and the ` - ` separator.
  const separator = fields.indexOf('-', 6);
  if (separator < 0 || fields.length < separator + 3) return null;
  const [id, , majMin, root, mountPoint, options] = fields;
  const fsType = fields[separator + 1];
  const source = fields[separator + 2];
  if (!id || !majMin || !root || !mountPoint || !options || !fsType || source === undefined) return null;
  if (!/^\d+$/.test(id) || !/^\d+:\d+$/.test(majMin)) return null;
  return {
    id: Number(id),
    majMin,
    root: unescape(root),
    mountPoint: unescape(mountPoint),
    fsType,
    source: unescape(source),
    options: options.split(','),
  };
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const entry = line === '' ? null : parseMountInfoLine(line);
    if (entry) entries.push(entry);
  }
  return entries;
}

export interface MountChanges {
  mounted: MountEntry[];
  unmounted: MountEntry[];
}

// The kernel reuses mount ids once a mount is gone: between two readings one id may have been
// unmounted and handed to a new mount, so the key also holds the device and the mount point.
export const mountKey = (m: MountEntry): string => `${m.id} ${m.majMin} ${m.mountPoint}`;

/** What changed between two readings of the table (a remount shows as both). */
export function diffMounts(before: readonly MountEntry[], after: readonly MountEntry[]): MountChanges {
  const beforeKeys = new Set(before.map(mountKey));
  const afterKeys = new Set(after.map(mountKey));
  return {
    mounted: after.filter((m) => !beforeKeys.has(mountKey(m))),
    unmounted: before.filter((m) => !afterKeys.has(mountKey(m))),
  };
}
