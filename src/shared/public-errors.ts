import { AppError, publicDetail } from './app-error';

/**
 * The error codes a client may be told, each with its HTTP status: the one place errors meet
 * HTTP, for the API's problem answers and the console's alike. A code not listed is a bug that
 * reached a client: answered 500 and told as `internal`, logged.
 */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'order-not-cancellable': 409,
  'concurrent-update': 409,
  'idempotency-key-reused': 422,
  'authentication-unavailable': 503,
  'database-unavailable': 503,
  // The operator console's (entry-points/console).
  'console-action-refused': 409,
  'kafka-unavailable': 503,
  'dead-letter-read-timeout': 503,
  'console-busy': 503,
};

/** What a client is told of an error that is not one of the service's own: nothing internal. */
export const INTERNAL = { code: 'internal', detail: 'Something went wrong on our side' } as const;

/**
 * What a client is told of `error` where there is no status to give (a stream already under
 * way): its code and public detail when it is one the API answers with, else `internal`.
 */
export function toldError(error: unknown): { code: string; detail: string } {
  return error instanceof AppError && STATUS_BY_CODE[error.code] !== undefined
    ? { code: error.code, detail: publicDetail(error) }
    : INTERNAL;
}
