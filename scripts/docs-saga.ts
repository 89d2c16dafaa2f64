// `npm run docs:saga`: rewrites the saga state diagram and table in docs/saga.md from the
// transition table.
import { join } from 'node:path';
import { regenerate } from './generated-block';
import { SAGA_PAGE, withSagaDiagram } from './saga-diagram';

regenerate(join(__dirname, '..', SAGA_PAGE), withSagaDiagram);
