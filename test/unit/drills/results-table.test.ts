import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  committedResultsFiles,
  DRILLS_TABLE_MARKERS,
  DRILLS_TABLE_PAGES,
  renderDrillsTable,
} from '../../../drills/results-table';
import { withGeneratedBlock } from '../../../scripts/generated-block';

const ROOT = join(__dirname, '../../..');

const pagesWithTable = () =>
  DRILLS_TABLE_PAGES.map((page) => join(ROOT, page))
    .filter((file) => existsSync(file))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }))
    .filter(({ text }) => text.includes(DRILLS_TABLE_MARKERS.start));

describe('the reliability drills table', () => {
  test('when a results file or the table changes, then the docs must be regenerated (npm run docs:drills)', () => {
    const pages = pagesWithTable();
    expect(pages.length).toBeGreaterThan(0);
    const table = renderDrillsTable();
    for (const { text } of pages)
      expect(withGeneratedBlock(text, DRILLS_TABLE_MARKERS, table)).toBe(text);
  });

  test('every row names a committed results file', () => {
    const files = committedResultsFiles();
    const rows = renderDrillsTable()
      .split('\n')
      .slice(2)
      .filter((line) => line.startsWith('|'));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(files.some((file) => row.includes(`(../${file})`))).toBe(true);
  });
});
