import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_KEYS } from '../../src/config';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('configuration is documented where operators look', () => {
  test('when the schema has a key, then README documents it in Configuration and .env.example sets it', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## REST API'));
    const documented = new Set([...section.matchAll(/^\| `([A-Z_]+)`/gm)].map((match) => match[1]));
    const example = new Set(
      [...read('.env.example').matchAll(/^([A-Z_]+)=/gm)].map((match) => match[1]),
    );
    expect([...documented].sort()).toEqual([...CONFIG_KEYS].sort());
    expect([...example].sort()).toEqual([...CONFIG_KEYS].sort());
  });
});
