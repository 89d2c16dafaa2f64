import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  consoleRunFiles,
  fullRunFiles,
  PERFORMANCE_PAGE,
  withPerformanceTables,
} from '../../../scripts/docs-performance';

const ROOT = join(__dirname, '../../..');

describe('the performance page (docs/performance.md)', () => {
  test('when a full bench run is committed, then the performance page must be regenerated (npm run docs:performance)', () => {
    const page = readFileSync(join(ROOT, PERFORMANCE_PAGE), 'utf8');
    expect(withPerformanceTables(ROOT, page)).toBe(page);
  });

  test('the page names every full run it shows by its results file', () => {
    const page = readFileSync(join(ROOT, PERFORMANCE_PAGE), 'utf8');
    for (const file of fullRunFiles(ROOT)) expect(page).toContain(`bench/results/${file}`);
  });

  test('the page shows the newest console run (npm run bench -- --only console) by its results file', () => {
    const page = readFileSync(join(ROOT, PERFORMANCE_PAGE), 'utf8');
    const newest = consoleRunFiles(ROOT).at(-1);
    expect(newest).toBeDefined();
    expect(page).toContain(`bench/results/${newest}`);
  });
});
