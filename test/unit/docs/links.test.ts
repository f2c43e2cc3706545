// The documents point at each other and at the code: every relative link must reach a file (and a
// heading, when it names an anchor), and every repository path they write in backticks must exist,
// so that a moved file or a renamed heading fails here instead of leaving a stale reference.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { codeSpans, githubSlug, headingAnchors, linkTargets, readDocs } from '../../support/harness/docs.js';
import { REPO } from '../../support/skip/fixtures.js';

const docs = readDocs();

/** A path from the repository root, as the documents write them: `src/media/scan.ts`, `udev/`, `config/*.yaml`. */
const REPO_PATH = /^(src|test|config|udev|\.ci)\/[^\s]*$/;
/** A TypeScript file named without its folder: `decide.property.test.ts`. */
const BARE_TS = /^[a-z0-9][a-z0-9.-]*\.ts$/;

function filesUnder(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [e.name]));
}
const SOURCE_NAMES = new Set([...filesUnder('src'), ...filesUnder('test')]);

/**
 * Whether a repository path exists. A segment with a placeholder (`<target>`) ends the check at its
 * folder; a segment with `*` or `?` must match at least one entry of its folder.
 */
function repoPathExists(path: string): boolean {
  let dir = '';
  for (const segment of path.split('/').filter((s) => s !== '')) {
    if (segment.includes('<')) return true;
    if (/[*?]/.test(segment)) {
      const glob = new RegExp(`^${segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      return existsSync(join(REPO, dir)) && readdirSync(join(REPO, dir)).some((name) => glob.test(name));
    }
    dir = join(dir, segment);
    if (!existsSync(join(REPO, dir))) return false;
  }
  return true;
}

describe('the documents', () => {
  it('are the README and one per part of the tree', () => {
    for (const path of ['README.md', 'config/README.md', 'udev/README.md', 'src/README.md', 'src/cli/README.md', 'src/errors/README.md', 'test/README.md']) {
      assert.ok(docs.paths.includes(path), `${path} is read (found: ${docs.paths.join(', ')})`);
    }
  });

  it('the README stays short: at most 250 lines', () => {
    const lines = docs.text('README.md').split('\n').length - 1;
    assert.ok(lines <= 250, `README.md has ${lines} lines: move detail into the document it belongs to`);
  });

  it('every relative link reaches a file, and a heading when it names an anchor', () => {
    const broken: string[] = [];
    for (const doc of docs.paths) {
      for (const target of linkTargets(docs.text(doc))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: are not ours to check
        const [file = '', anchor] = target.split('#');
        const path = file === '' ? doc : normalize(join(dirname(doc), file));
        if (!existsSync(join(REPO, path))) {
          broken.push(`${doc}: ${target}: no file ${path}`);
        } else if (anchor !== undefined) {
          if (!path.endsWith('.md')) broken.push(`${doc}: ${target}: an anchor into a file that is not a document`);
          else if (!headingAnchors(docs.text(path)).has(anchor)) broken.push(`${doc}: ${target}: no heading #${anchor} in ${path}`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it('every repository path written in backticks exists', () => {
    const missing: string[] = [];
    let checked = 0;
    for (const doc of docs.paths) {
      for (const span of codeSpans(docs.text(doc))) {
        if (REPO_PATH.test(span)) {
          checked++;
          if (!repoPathExists(span)) missing.push(`${doc}: \`${span}\``);
        } else if (BARE_TS.test(span)) {
          checked++;
          if (!SOURCE_NAMES.has(span)) missing.push(`${doc}: \`${span}\` (no such file under src/ or test/)`);
        }
      }
    }
    assert.ok(checked > 50, `checked ${checked} paths`);
    assert.deepEqual(missing, []);
  });

  it('the checks catch what they are for', () => {
    assert.equal(repoPathExists('src/media/scan.ts'), true);
    assert.equal(repoPathExists('src/media/no-such-file.ts'), false);
    assert.equal(repoPathExists('config/examples/*.yaml'), true);
    assert.equal(repoPathExists('config/examples/*.toml'), false);
    assert.equal(repoPathExists('test/fuzz/regressions/<target>/<kind>'), true);
    assert.equal(repoPathExists('test/no-such-folder/<target>'), false);
    assert.ok(headingAnchors(docs.text('src/errors/README.md')).has('error-codes'));
    // The anchor GitHub made for this heading, as the README linked it before the split.
    assert.equal(githubSlug('`usb-updater check PATH... [--config FILE] [--device-type T] [--provides K=V]... [--json]`'), 'usb-updater-check-path---config-file---device-type-t---provides-kv---json');
    assert.deepEqual([...headingAnchors('# A\n```\n# not a heading\n```\n## A\n### Soak (`npm run soak`, as root)\n')], ['a', 'a-1', 'soak-npm-run-soak-as-root']);
  });
});
