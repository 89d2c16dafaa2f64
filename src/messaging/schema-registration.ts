import { COMPATIBILITY, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { AvroSchema } from '@kafkajs/confluent-schema-registry/dist/@types';
import { ConfluentSchemaRegistryCompatibilityError } from '@kafkajs/confluent-schema-registry/dist/errors';
import { Type } from 'avsc';
import { AppError } from '../shared/app-error';
import type { Logger } from '../shared/logger';
import { loadAvroSchema } from './avro-schemas';
import type { RegistryClient } from './schema-registry-client';
import { subjectFor, type SagaTopic } from './topics';

export class SchemaIncompatibleError extends AppError {
  constructor(subject: string, reason: string) {
    super('schema-incompatible', `Schema for subject ${subject} is incompatible: ${reason}`, 500);
  }
}

export interface RegistrationOptions {
  topicPrefix: string;
  /**
   * Topics whose readers are other teams' consumers. Besides the registry's BACKWARD check,
   * a change to these must also be readable by consumers still on the registered version
   * (FORWARD), so removing a field without a default is refused here.
   */
  producedTopics: readonly SagaTopic[];
  logger: Logger;
  /** Where the `.avsc` files are; the repository's `schemas/` unless a test points elsewhere. */
  schemasDir?: string;
}

/**
 * Registers each topic's committed schema under `<topic>-value` with compatibility BACKWARD,
 * or finds it already registered, and returns the schema id to encode with per topic.
 */
export async function registerSchemas(
  client: RegistryClient,
  topics: readonly SagaTopic[],
  { topicPrefix, producedTopics, logger, schemasDir }: RegistrationOptions,
): Promise<Map<SagaTopic, number>> {
  const ids = new Map<SagaTopic, number>();
  for (const topic of topics) {
    const subject = subjectFor(topicPrefix, topic);
    const schema = loadAvroSchema(topic, schemasDir);
    if (producedTopics.includes(topic))
      await assertReadableByCurrentConsumers(client.registry, subject, schema);
    try {
      const id = await client.register(subject, schema, COMPATIBILITY.BACKWARD);
      ids.set(topic, id);
      logger.debug('schema registered', { subject, id });
    } catch (error) {
      // Only the registry's refusal is a release mistake; its outage (5xx, no answer) is not.
      if (!isRefusal(error)) throw error;
      throw new SchemaIncompatibleError(
        subject,
        `the schema registry refused it (${reasonOf(error)})`,
      );
    }
  }
  logger.info('schemas registered', { subjects: ids.size });
  return ids;
}

async function assertReadableByCurrentConsumers(
  registry: SchemaRegistry,
  subject: string,
  schema: object,
): Promise<void> {
  let latest: AvroSchema;
  try {
    latest = (await registry.getSchema(await registry.getLatestSchemaId(subject))) as AvroSchema;
  } catch (error) {
    if (statusOf(error) === 404) return; // first registration: nothing to stay compatible with
    throw error;
  }
  try {
    latest.createResolver(Type.forSchema(schema as never));
  } catch (error) {
    throw new SchemaIncompatibleError(
      subject,
      `consumers on the registered version could not read it (${reasonOf(error)})`,
    );
  }
}

/**
 * 409: incompatible with the registered versions; 422: not a valid schema; or the subject is
 * configured with another compatibility level than ours. (The client reports a refused
 * connection as status 400, so 400 is not a refusal.)
 */
function isRefusal(error: unknown): boolean {
  if (error instanceof ConfluentSchemaRegistryCompatibilityError) return true;
  const status = statusOf(error);
  return status === 409 || status === 422;
}

function statusOf(error: unknown): number | undefined {
  const candidate = error as { status?: number; originalError?: { status?: number } };
  return candidate.status ?? candidate.originalError?.status;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
