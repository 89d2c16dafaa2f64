import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSagaDiagram, withSagaDiagram } from '../../scripts/saga-diagram';
import { SAGA_TRANSITIONS } from '../../src/domain/saga-transitions';

describe('README saga diagram', () => {
  test('when the transition table changes, then README must be regenerated (npm run docs:saga)', () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    expect(withSagaDiagram(readme)).toBe(readme);
  });

  test('the diagram has one edge per table row', () => {
    const edges = renderSagaDiagram()
      .split('\n')
      .filter((line) => / --> /.test(line) && !line.endsWith('--> [*]'));
    expect(edges).toHaveLength(SAGA_TRANSITIONS.length);
  });
});
