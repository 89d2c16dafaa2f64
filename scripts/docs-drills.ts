// Rewrites the drills table in docs/reliability.md from the committed drills results files
// (drills/results-table.ts). test/unit/drills/results-table.test.ts fails when they differ.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DRILLS_TABLE_MARKERS,
  DRILLS_TABLE_PAGES,
  renderDrillsTable,
} from '../drills/results-table';
import { regenerate, withGeneratedBlock } from './generated-block';

const table = renderDrillsTable();
for (const page of DRILLS_TABLE_PAGES) {
  const file = join(__dirname, '..', page);
  if (!existsSync(file)) continue;
  regenerate(file, (text) =>
    text.includes(DRILLS_TABLE_MARKERS.start)
      ? withGeneratedBlock(text, DRILLS_TABLE_MARKERS, table)
      : text,
  );
}
