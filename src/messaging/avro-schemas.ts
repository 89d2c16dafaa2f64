import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RawAvroSchema } from '@kafkajs/confluent-schema-registry/dist/@types';
import type { SagaTopic } from './topics';

/** The repository's `schemas/`, found by walking up, so `src/` and compiled `dist/src/` agree. */
export function findSchemasDir(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) {
      return join(dir, 'schemas');
    }
    if (dirname(dir) === dir) throw new Error(`no schemas/ directory above ${start}`);
  }
}

/** The contract with the peer services: one `.avsc` per topic, read as committed. */
export function loadAvroSchema(topic: SagaTopic, dir?: string): RawAvroSchema {
  const file = join(dir ?? findSchemasDir(), `${topic}.avsc`);
  return JSON.parse(readFileSync(file, 'utf8')) as RawAvroSchema;
}
