import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_KEYS, configDocumentation, loadConfigKeys } from '../../../src/config';
import {
  CONFIGURATION_PAGE,
  renderEnvExample,
  TABLES_MARKERS,
  withConfigTables,
} from '../../../scripts/docs-config';

const ROOT = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('configuration is documented where operators look', () => {
  test('when the schema changes, then the configuration page must be regenerated (npm run docs:config)', () => {
    const page = read(CONFIGURATION_PAGE);
    expect(withConfigTables(page)).toBe(page);
  });

  test('when the schema changes, then .env.example must be regenerated (npm run docs:config)', () => {
    expect(read('.env.example')).toBe(renderEnvExample());
  });

  test('when the schema has a key, then the configuration page documents it and .env.example sets it', () => {
    const page = read(CONFIGURATION_PAGE);
    const section = page.slice(
      page.indexOf(TABLES_MARKERS.start),
      page.indexOf(TABLES_MARKERS.end),
    );
    const documented = new Set([...section.matchAll(/^\| `([A-Z_]+)`/gm)].map((match) => match[1]));
    const example = new Set(
      [...read('.env.example').matchAll(/^([A-Z_]+)=/gm)].map((match) => match[1]),
    );
    expect([...documented].sort()).toEqual([...CONFIG_KEYS].sort());
    expect([...example].sort()).toEqual([...CONFIG_KEYS].sort());
  });

  test('when each key is documented, then it has a text of its own', () => {
    const descriptions = configDocumentation().map((doc) => doc.description);
    expect(descriptions.every((text) => text.trim().length > 0)).toBe(true);
    expect(new Set(descriptions).size).toBe(descriptions.length);
  });

  test('when .env.example sets a key to its default, then the service reads that value as the default', () => {
    for (const { key, default: value } of configDocumentation()) {
      if (value === undefined) continue;
      expect({ key, value: loadConfigKeys([key], { [key]: value })[key] }).toEqual({
        key,
        value: loadConfigKeys([key], {})[key],
      });
    }
  });
});
