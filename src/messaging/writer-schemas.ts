import avro, { type Type } from 'avsc';
import { errorMessage } from '../shared/app-error';
import { LruCache } from '../shared/lru-cache';
import { PoisonRecordError } from './failure-policy';
import { schemaExpansion } from './schema-expansion';
import type { RegistryReads } from './schema-registry-client';

export interface WriterSchemaLimits {
  /** Values one byte of a record may stand for (schemaExpansion); a schema over it is refused. */
  maxExpansion: number;
  /** Schema ids, and (subject, id) answers, kept in each cache (least recently used go first). */
  cacheEntries?: number;
  /** How long "no such id" and "not under this subject" are believed before asking again. */
  missTtlMs?: number;
}

export const DEFAULT_SCHEMA_CACHE_ENTRIES = 1_000;
export const DEFAULT_SCHEMA_MISS_TTL_MS = 60_000;

export interface WriterSchemas {
  /**
   * The writer schema of `schemaId`, parsed, with its expansion checked (once per id). Throws a
   * PoisonRecordError when no record of this id can be read: the id is unknown
   * (unknown-schema-id), not Avro or over the expansion bound (incompatible-schema); a registry
   * outage is thrown as it is (retriable).
   */
  writer(schemaId: number): Promise<Type>;
  /** Throws incompatible-schema unless `schemaId` is registered under `subject` (once per pair). */
  requireSubject(subject: string, schemaId: number): Promise<void>;
}

type Verdict<T> = T | PoisonRecordError;

/**
 * Writer schemas by id, held to the bounds before any record of them is read. Answers are kept in
 * bounded caches: a schema (or why it is refused) until evicted, since an id's schema never
 * changes; an unknown id or a foreign subject for `missTtlMs`, so a stream of forged ids costs
 * one registry call per id and TTL, not one per record, and the id can still be registered later.
 * Concurrent lookups of one key share one registry call.
 */
export function createWriterSchemas(
  registry: RegistryReads,
  {
    maxExpansion,
    cacheEntries = DEFAULT_SCHEMA_CACHE_ENTRIES,
    missTtlMs = DEFAULT_SCHEMA_MISS_TTL_MS,
  }: WriterSchemaLimits,
): WriterSchemas {
  const writers = new LruCache<number, Verdict<Type>>(cacheEntries);
  const memberships = new LruCache<string, Verdict<true>>(cacheEntries);
  const inFlight = new Map<string, Promise<unknown>>();

  /** The cached verdict, else one shared lookup whose verdict is cached for its TTL. */
  const cached = async <K, T>(
    cache: LruCache<K, Verdict<T>>,
    key: K,
    lookup: () => Promise<{ verdict: Verdict<T>; ttlMs?: number }>,
  ): Promise<T> => {
    let verdict = cache.get(key);
    if (verdict === undefined) {
      const flightKey = `${typeof key}:${String(key)}`;
      let pending = inFlight.get(flightKey) as Promise<Verdict<T>> | undefined;
      if (!pending) {
        pending = lookup()
          .then(({ verdict: found, ttlMs }) => {
            cache.set(key, found, ttlMs);
            return found;
          })
          .finally(() => inFlight.delete(flightKey));
        inFlight.set(flightKey, pending);
      }
      verdict = await pending;
    }
    if (verdict instanceof PoisonRecordError) throw verdict;
    return verdict;
  };

  const unknownId = (schemaId: number) => ({
    verdict: new PoisonRecordError(
      'unknown-schema-id',
      `Schema id ${schemaId} is not in the registry`,
    ),
    ttlMs: missTtlMs,
  });

  return {
    writer: (schemaId) =>
      cached(writers, schemaId, async () => {
        const found = await registry.schemaById(schemaId);
        if (!found) return unknownId(schemaId);
        return { verdict: parseWriter(schemaId, found, maxExpansion) };
      }),
    requireSubject: async (subject, schemaId) => {
      await cached(memberships, `${subject}\u0000${schemaId}`, async () => {
        const subjects = await registry.subjectsOf(schemaId);
        if (!subjects) return unknownId(schemaId);
        if (subjects.includes(subject)) return { verdict: true as const };
        return {
          verdict: new PoisonRecordError(
            'incompatible-schema',
            `Schema id ${schemaId} is not registered under ${subject}, the only subject this topic is read with`,
          ),
          ttlMs: missTtlMs,
        };
      });
    },
  };
}

function parseWriter(
  schemaId: number,
  found: { schema: string; schemaType?: string; references?: unknown[] },
  maxExpansion: number,
): Verdict<Type> {
  const refuse = (why: string, cause?: unknown) =>
    new PoisonRecordError('incompatible-schema', `Schema id ${schemaId} ${why}`, { cause });
  if ((found.schemaType ?? 'AVRO') !== 'AVRO') {
    return refuse(`is ${found.schemaType}, not Avro; replies are read from Avro only`);
  }
  // A reference pulls in another subject's schema, which the subject check does not cover.
  if (found.references && found.references.length > 0) {
    return refuse('refers to other schemas; peers register self-contained schemas');
  }
  let writer: Type;
  try {
    writer = avro.Type.forSchema(JSON.parse(found.schema) as avro.Schema);
  } catch (error) {
    return refuse(`is not an Avro schema: ${errorMessage(error)}`, error);
  }
  const expansion = schemaExpansion(writer);
  if (expansion > maxExpansion) {
    return refuse(
      `can stand for ${expansion.toPrecision(3)} values per byte of a record, more than ${maxExpansion} (nested records of records, nulls or empty records); refused before reading any record`,
    );
  }
  return writer;
}
