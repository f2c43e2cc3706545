// Parses what `mender-artifact read` prints, so tests can compare `inspect --json` with the real
// tool field by field. Only the fields both sides report are read.

export interface MenderReadFile { name: string; size: number; checksum: string }
export interface MenderReadPayload {
  type: string;
  provides: Record<string, string>;
  depends: Record<string, string>;
  clears: string[];
  metadata: unknown;
  files: MenderReadFile[];
}
export interface MenderRead {
  name: string;
  version: number;
  signature: string;
  devices: string[];
  group: string | null;
  dependsArtifacts: string[];
  dependsGroups: string[];
  scripts: string[];
  payloads: MenderReadPayload[];
}

const list = (text: string): string[] => text.replace(/^\[|\]$/g, '').split(/,? /).filter((s) => s !== '');

function keyValues(lines: string[], start: number): { map: Record<string, string>; next: number } {
  const map: Record<string, string> = {};
  let i = start;
  while (i < lines.length && /^\t/.test(lines[i] as string)) {
    const line = (lines[i] as string).trim();
    const at = line.indexOf(': ');
    map[line.slice(0, at)] = line.slice(at + 2);
    i += 1;
  }
  return { map, next: i };
}

export function parseMenderRead(text: string): MenderRead {
  const lines = text.split('\n');
  const field = (label: string): string | undefined => {
    const line = lines.find((l) => l.startsWith(`  ${label}:`));
    return line?.slice(label.length + 3).trim();
  };
  const out: MenderRead = {
    name: field('Name') ?? '',
    version: Number(field('Version')),
    signature: field('Signature') ?? '',
    devices: list((field('Compatible devices') ?? '').replace(/'/g, '')),
    group: field('Provides group') || null,
    dependsArtifacts: list(field('Depends on one of artifact(s)') ?? ''),
    dependsGroups: list(field('Depends on one of group(s)') ?? ''),
    scripts: [],
    payloads: [],
  };
  const scriptsAt = lines.findIndex((l) => l === '  State scripts:');
  for (let i = scriptsAt + 1; scriptsAt >= 0 && i < lines.length && /^ {4}\S/.test(lines[i] as string); i += 1) {
    out.scripts.push((lines[i] as string).trim());
  }
  let payload: MenderReadPayload | null = null;
  for (let i = lines.indexOf('Updates:') + 1; i > 0 && i < lines.length; i += 1) {
    const line = lines[i] as string;
    const trimmed = line.trim();
    if (/^ {4}\d+:$/.test(line)) {
      payload = { type: '', provides: {}, depends: {}, clears: [], metadata: null, files: [] };
      out.payloads.push(payload);
    } else if (!payload) {
      continue;
    } else if (trimmed.startsWith('Type:')) {
      payload.type = trimmed.slice(5).trim();
    } else if (trimmed === 'Provides:' || trimmed === 'Depends:') {
      const { map, next } = keyValues(lines, i + 1);
      if (trimmed === 'Provides:') payload.provides = map;
      else payload.depends = map;
      i = next - 1;
    } else if (trimmed.startsWith('Clears Provides:')) {
      payload.clears = JSON.parse(trimmed.slice('Clears Provides:'.length).trim()) as string[];
    } else if (trimmed === 'Metadata:') {
      let j = i + 1;
      const json: string[] = [];
      while (j < lines.length && /^\t/.test(lines[j] as string)) json.push((lines[j++] as string).trim());
      payload.metadata = JSON.parse(json.join(''));
      i = j - 1;
    } else if (trimmed.startsWith('name:')) {
      const size = (lines[i + 1] as string).trim().slice(5).trim();
      const checksum = (lines.slice(i + 1, i + 4).find((l) => l.trim().startsWith('checksum:')) ?? '').trim().slice(9).trim();
      payload.files.push({ name: trimmed.slice(5).trim(), size: Number(size), checksum });
    }
  }
  return out;
}
