// Rewrites the saga state diagram in README.md from src/domain/saga-transitions.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withSagaDiagram } from '../src/domain/saga-diagram';

const readmePath = join(__dirname, '..', 'README.md');
const before = readFileSync(readmePath, 'utf8');
const after = withSagaDiagram(before);
writeFileSync(readmePath, after);
console.log(
  before === after ? 'README.md diagram already up to date' : 'README.md diagram updated',
);
