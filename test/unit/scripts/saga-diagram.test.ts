import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  renderSagaDiagram,
  renderSagaTable,
  SAGA_PAGE,
  withSagaDiagram,
} from '../../../scripts/saga-diagram';
import { SAGA_TRANSITIONS } from '../../../src/domain/saga-transitions';

describe('the saga page (docs/saga.md)', () => {
  test('when the transition table changes, then the saga page must be regenerated (npm run docs:saga)', () => {
    const page = readFileSync(join(__dirname, '../../..', SAGA_PAGE), 'utf8');
    expect(withSagaDiagram(page)).toBe(page);
  });

  test('the diagram has one edge per table row', () => {
    const edges = renderSagaDiagram()
      .split('\n')
      .filter((line) => / --> /.test(line) && !line.endsWith('--> [*]'));
    expect(edges).toHaveLength(SAGA_TRANSITIONS.length);
  });

  test('the table has one line per table row, under its header and delimiter', () => {
    expect(renderSagaTable().split('\n')).toHaveLength(SAGA_TRANSITIONS.length + 2);
  });
});
