import { KafkaJSError } from 'kafkajs';
import { ZodError } from 'zod';
import { AppError } from '../shared/app-error';

/**
 * What to do about a record that failed, decided in one place:
 * - `transient`: a dependency is down (database, broker, registry). Pause and retry, forever;
 *   never dead-letter, so an outage cannot flood the DLQ or skip a record.
 * - `poison`: the record itself is wrong. Retrying cannot help: dead-letter it and move on.
 * - `unknown`: a handler error of no known kind. Retry a few times, then dead-letter.
 */
export type FailureKind = 'transient' | 'poison' | 'unknown';

/** The record can never be processed as it is (bad bytes, unknown schema, invalid fields). */
export class PoisonRecordError extends AppError {}

const NETWORK_FAILURE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|timeout/i;

/**
 * Errors say whether they are retriable: ours (AppError, among them data-access's
 * DatabaseUnavailableError) and kafkajs's; the registry client's are read from their status.
 */
export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof ZodError) return 'poison';
  if (error instanceof AppError) return error.retriable ? 'transient' : 'poison';
  if (error instanceof KafkaJSError) return error.retriable ? 'transient' : 'unknown';
  if (isRegistryUnavailable(error)) return 'transient';
  return 'unknown';
}

/**
 * Statuses that say the registry cannot be used right now, whatever the record: refused
 * credentials (401, 403: a rotated password is an outage to fix, not a reason to dead-letter
 * every record), a timeout (408) or throttling (429).
 */
const REGISTRY_REFUSALS = new Set([401, 403, 408, 429]);

/** The registry client reports network failures as status 400 with the socket error in the text. */
export function isRegistryUnavailable(error: unknown): boolean {
  const { name, status, message } = error as { name?: string; status?: number; message?: string };
  if (name !== 'ResponseError' || status === undefined) return false;
  return (
    status >= 500 ||
    REGISTRY_REFUSALS.has(status) ||
    (status === 400 && NETWORK_FAILURE.test(message ?? ''))
  );
}

/**
 * What a dead letter's `dlq-error-class` says: our code, else the error's name (node-postgres
 * names its errors `error`, so their class says more: DatabaseError).
 */
export function errorClassOf(error: unknown): string {
  if (error instanceof AppError) return error.code;
  if (!(error instanceof Error)) return typeof error;
  return error.name.toLowerCase() === 'error' ? error.constructor.name : error.name;
}
