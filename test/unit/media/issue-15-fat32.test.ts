// Issue 15, class 6: FAT32_TRUNCATED only where FAT's limit applies. A file of exactly 4 GiB - 1
// bytes (sparse here) on a stick known to be ext4 or exFAT is an ordinary candidate; on vfat, or in
// a folder whose filesystem is unknown (`check DIR`), it is reported as cut short.

import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openCandidate } from '../../../src/media/scan.js';
import { realStickFs } from '../../../src/system/media/stick-fs.js';

describe('issue 15: FAT32_TRUNCATED', () => {
  const cases: [fsType: string | undefined, truncated: boolean][] = [
    ['ext4', false],
    ['exfat', false],
    ['ntfs3', false],
    ['vfat', true],
    ['msdos', true],
    [undefined, true],
  ];
  for (const [fsType, truncated] of cases) {
    it(`a file of 4 GiB - 1 bytes on ${fsType ?? 'an unknown filesystem'} is ${truncated ? 'FAT32_TRUNCATED' : 'a candidate'}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'fat32-'));
      try {
        const file = join(dir, 'big.mender');
        await writeFile(file, '');
        await truncate(file, 2 ** 32 - 1);
        const opened = await openCandidate(file, 'big.mender', realStickFs, undefined, fsType);
        if ('reason' in opened) assert.equal(opened.reason.code, truncated ? 'FAT32_TRUNCATED' : '(a candidate)');
        else {
          await opened.artifact.close();
          assert.equal(truncated, false, 'expected FAT32_TRUNCATED');
          assert.equal(opened.size, 2 ** 32 - 1);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
