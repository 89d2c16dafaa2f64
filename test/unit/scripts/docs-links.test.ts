import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenLinks, headingAnchor } from '../../../scripts/docs-links';

describe('links in README.md and docs/', () => {
  test('when a section or a file moves, then every relative link and #anchor still resolves', () => {
    expect(brokenLinks(join(__dirname, '../../..'))).toEqual([]);
  });

  test('when a link names a missing file or heading, then the check reports it', () => {
    const root = mkdtempSync(join(tmpdir(), 'docs-links-'));
    try {
      mkdirSync(join(root, 'docs'));
      writeFileSync(
        join(root, 'README.md'),
        '# Title\n\n[ok](docs/a.md#the-part) [gone](docs/b.md) [bad](docs/a.md#nope) [self](#title)\n\n`[code](nope.md)`\n',
      );
      writeFileSync(
        join(root, 'docs', 'a.md'),
        '# A\n\n## The part\n\n[back](../README.md#nowhere)\n',
      );
      expect(brokenLinks(root)).toEqual([
        'README.md: docs/b.md (no such file)',
        'README.md: docs/a.md#nope (no such heading)',
        'docs/a.md: ../README.md#nowhere (no such heading)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('anchors are made as GitHub makes them', () => {
    expect(headingAnchor('`POST /api/v1/orders`')).toBe('post-apiv1orders');
    expect(headingAnchor("Dead letters: retry or dead-letter, and the operator's tool")).toBe(
      'dead-letters-retry-or-dead-letter-and-the-operators-tool',
    );
  });
});
