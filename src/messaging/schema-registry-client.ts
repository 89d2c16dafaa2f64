import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { AppError } from '../shared/app-error';

/** The registry's level names as plain strings (the client's enum is not assignable from them). */
export type CompatibilityLevel = `${COMPATIBILITY}`;

/** A registry answer other than success: its HTTP status says whether it is a refusal. */
export class RegistryResponseError extends AppError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('schema-registry-response', message, 502, status >= 500);
  }
}

/**
 * The Confluent-compatible registry client (encode, decode, lookups) plus the one call it lacks:
 * setting a subject's compatibility level.
 */
export interface RegistryClient {
  registry: SchemaRegistry;
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /**
   * Sets the subject's level, then registers the schema under it (or finds it registered) and
   * returns its id. Setting the level first, rather than after a first registration as the
   * client does, leaves no moment in which the subject exists without its level, so concurrent
   * registrations agree on Confluent and on registries that read such a subject as NONE.
   */
  register(subject: string, schema: object, level: CompatibilityLevel): Promise<number>;
}

export function createRegistryClient({ url, retries }: { url: string; retries: number }) {
  const registry = new SchemaRegistry({ host: url, retry: { retries } });
  const base = url.replace(/\/+$/, '');
  const client: RegistryClient = {
    registry,
    async setCompatibility(subject, level) {
      const url = `${base}/config/${encodeURIComponent(subject)}`;
      const response = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ compatibility: level }),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) return;
      // A concurrent writer may have set it first (some registries then refuse ours): what
      // counts is that the subject ends up with this level.
      const current = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const reported = current.ok
        ? ((await current.json()) as { compatibilityLevel?: string })
        : {};
      if (reported.compatibilityLevel === level) return;
      const text = (await response.text()).slice(0, 500);
      throw new RegistryResponseError(
        response.status,
        `Confluent_Schema_Registry - setting ${level} on ${subject}: ${response.status} ${text}`,
      );
    },
    async register(subject, schema, level) {
      await client.setCompatibility(subject, level);
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: level as COMPATIBILITY, updateConfig: false },
      );
      return id;
    },
  };
  return client;
}
