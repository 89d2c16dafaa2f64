import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readAVSC } from '@kafkajs/confluent-schema-registry';
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

/**
 * The contract with the peer services: one `.avsc` per topic, read as committed. The one
 * place `.avsc` files are read, with the registry client's own reader, which refuses a file
 * that is not an Avro record schema.
 */
export function loadAvroSchema(topic: SagaTopic, dir?: string) {
  return readAVSC(join(dir ?? findSchemasDir(), `${topic}.avsc`));
}
