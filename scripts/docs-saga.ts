// `npm run docs:saga`: rewrites the saga state diagram in README.md from the transition table.
import { join } from 'node:path';
import { regenerate } from './generated-block';
import { withSagaDiagram } from './saga-diagram';

regenerate(join(__dirname, '..', 'README.md'), withSagaDiagram);
