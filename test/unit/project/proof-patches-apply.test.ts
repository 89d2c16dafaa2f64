import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The mutation patches (npm run mutations) and the drills' broken builds (npm run
 * drills:self-check) are proofs only while they still apply: a refactoring that moves the code
 * under one turns its check into an error found late, in a long CI step. This finds it in
 * seconds, in every `npm test`.
 */
const ROOT = path.resolve(__dirname, '../../..');
const PATCH_FOLDERS = ['test/mutations', 'drills/broken-builds'];

const patches = PATCH_FOLDERS.flatMap((folder) =>
  readdirSync(path.join(ROOT, folder))
    .filter((name) => name.endsWith('.patch'))
    .map((name) => path.join(folder, name)),
);

describe('proof patches (mutations, broken builds)', () => {
  test('when the folders are read, then there are patches in both', () => {
    for (const folder of PATCH_FOLDERS) {
      expect(patches.filter((patch) => patch.startsWith(folder)).length).toBeGreaterThan(0);
    }
  });

  test.each(patches)('when %s is checked against the tree, then it still applies', (patch) => {
    expect(() =>
      execFileSync('git', ['apply', '--check', patch], { cwd: ROOT, stdio: 'pipe' }),
    ).not.toThrow();
  });
});
