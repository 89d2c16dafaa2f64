import type { Logger } from '../shared/logger';
import { errorMessage, withCode } from '../shared/app-error';
import { loadAvroSchema } from './avro-schemas';
import type { CompatibilityLevel, RegistryClient } from './schema-registry-client';
import { subjectFor, type SagaTopic } from './topics';

/** The registry refused a schema this version produces: a release mistake, start-up stops. */
export class SchemaIncompatibleError extends withCode('schema-incompatible') {}

export interface RegistrationOptions {
  topicPrefix: string;
  /**
   * The subjects' compatibility level, which the registry enforces (SCHEMA_COMPATIBILITY).
   * Other teams' consumers read what we produce, on versions of their own: FULL_TRANSITIVE
   * keeps every registered version able to read every other.
   */
  compatibility: CompatibilityLevel;
  logger: Logger;
  /** Where the `.avsc` files are; the repository's `schemas/` unless a test points elsewhere. */
  schemasDir?: string;
}

/**
 * Registers each topic's committed schema under `<topic>-value`, after setting the subject's
 * compatibility level, or finds it already registered, and returns the schema id to encode
 * with per topic. Whether a change is compatible is the registry's decision alone.
 */
export async function registerSchemas(
  client: RegistryClient,
  topics: readonly SagaTopic[],
  { topicPrefix, compatibility, logger, schemasDir }: RegistrationOptions,
): Promise<Map<SagaTopic, number>> {
  const ids = new Map<SagaTopic, number>();
  for (const topic of topics) {
    const subject = subjectFor(topicPrefix, topic);
    try {
      const id = await client.register(subject, loadAvroSchema(topic, schemasDir), compatibility);
      ids.set(topic, id);
      logger.debug('schema registered', { subject, id });
    } catch (error) {
      // Only the registry's refusal is a release mistake; its outage (5xx, no answer) is not.
      if (!isRefusal(error)) throw error;
      throw new SchemaIncompatibleError(
        `Schema for subject ${subject} is incompatible: the schema registry refused it (${errorMessage(error)})`,
      );
    }
  }
  logger.info('schemas registered', { subjects: ids.size, compatibility });
  return ids;
}

/**
 * 409: incompatible with the registered versions; 422: not a valid schema (or level). (The
 * client reports a refused connection as status 400, so 400 is not a refusal.)
 */
function isRefusal(error: unknown): boolean {
  const candidate = error as { status?: number; originalError?: { status?: number } };
  const status = candidate.status ?? candidate.originalError?.status;
  return status === 409 || status === 422;
}
