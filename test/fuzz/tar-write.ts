// A small synchronous tar reader and writer for the structure-aware mutations: they run inside the
// fuzz loop, which is synchronous, and must write what tar-stream will not (any type flag, a size
// in base-256, a declared size that differs from the data, pax and GNU long-name records).

/** Type flags by name: ustar's, pax's and GNU's. */
export const TAR_TYPES = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6', contiguous: '7',
  pax: 'x', 'pax-global': 'g', 'gnu-longname': 'L', 'gnu-longlink': 'K', 'gnu-sparse': 'S',
} as const;
export type TarType = keyof typeof TAR_TYPES;

export interface TarMember {
  name: string;
  /** The type flag as written (a TAR_TYPES value, or any other byte). */
  flag: string;
  data: Buffer;
  linkname?: string;
  /** The size written in the header when it is not data.length (a lie, or a huge value). */
  declaredSize?: bigint;
}

const BLOCK = 512;
const OCTAL_MAX = 8n ** 11n - 1n;

function writeField(block: Buffer, at: number, length: number, text: string): void {
  block.write(text.slice(0, length), at, length, 'utf8');
}

/** Octal with a NUL when it fits in 11 digits, else GNU base-256 (high bit set, big-endian). */
function writeSize(block: Buffer, size: bigint): void {
  if (size >= 0n && size <= OCTAL_MAX) {
    writeField(block, 124, 12, `${size.toString(8).padStart(11, '0')}\0`);
    return;
  }
  let rest = BigInt.asUintN(88, size);
  for (let i = 135; i > 124; i -= 1) {
    block[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  block[124] = 0x80;
}

function headerBlock(member: TarMember): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeField(block, 0, 100, member.name);
  writeField(block, 100, 8, '0000644\0');
  writeField(block, 108, 8, '0000000\0');
  writeField(block, 116, 8, '0000000\0');
  writeSize(block, member.declaredSize ?? BigInt(member.data.length));
  writeField(block, 136, 12, '00000000000\0');
  block.write(member.flag.slice(0, 1), 156, 1, 'latin1');
  writeField(block, 157, 100, member.linkname ?? '');
  writeField(block, 257, 8, 'ustar\x0000');
  writeField(block, 329, 8, '0000000\0');
  writeField(block, 337, 8, '0000000\0');
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  writeField(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** A tar of `members`, each padded to 512 bytes, ended by two zero blocks. */
export function writeTar(members: readonly TarMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(headerBlock(m), m.data);
    const pad = (BLOCK - (m.data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** A pax extended header body: `<len> <key>=<value>\n` records, the length counting itself. */
export function paxRecords(records: Readonly<Record<string, string>>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(body) + 1;
    while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
    return `${length}${body}`;
  });
  return Buffer.from(lines.join(''));
}

const text = (block: Buffer, at: number, length: number): string => block.toString('utf8', at, at + length).replace(/\0.*$/s, '');

/**
 * The members of a plain tar (no pax or GNU name resolution: every record is a member, as written),
 * or null when it is not one this writer could have written (a bad size, a member past the end).
 */
export function parseTar(buf: Buffer): TarMember[] | null {
  const members: TarMember[] = [];
  let offset = 0;
  while (offset + BLOCK <= buf.length) {
    const block = buf.subarray(offset, offset + BLOCK);
    if (block.every((b) => b === 0)) return members;
    const sizeText = text(block, 124, 12).trim();
    if (!/^[0-7]+$/.test(sizeText)) return null;
    const size = parseInt(sizeText, 8);
    const data = offset + BLOCK;
    if (data + size > buf.length) return null;
    const linkname = text(block, 157, 100);
    members.push({ name: text(block, 0, 100), flag: block.toString('latin1', 156, 157).replace('\0', '0'), data: Buffer.from(buf.subarray(data, data + size)), ...(linkname ? { linkname } : {}) });
    offset = data + Math.ceil(size / BLOCK) * BLOCK;
  }
  return members;
}
