/**
 * The one error type the service raises on purpose. `code` names the failure (it becomes the
 * problem type on HTTP and the `dlq-error-class` on a dead letter); `retriable` says whether
 * trying again later can succeed, as kafkajs's `KafkaJSError.retriable` does. An error knows
 * nothing of HTTP: `entry-points/http/problem-details.ts` maps codes to statuses.
 */
export class AppError extends Error {
  readonly retriable: boolean;
  /** Extra members for whoever reports it (e.g. the order's current status). */
  readonly details?: Record<string, unknown>;

  constructor(
    readonly code: string,
    message: string,
    options: { retriable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }
}

/** An error's message, whatever was thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when the error, or any error in its `cause` chain, passes `test`. */
export function someCause(error: unknown, test: (cause: Error) => boolean): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (test(cause)) return true;
  }
  return false;
}

type ErrorOptions = { cause?: unknown; details?: Record<string, unknown> };

/**
 * A base for an AppError subclass with a fixed code, so that each is one line, as in
 * confluent-schema-registry: `export class NotFoundError extends withCode('not-found') {}`.
 */
export function withCode(code: string, defaults: { retriable?: boolean } = {}) {
  return class extends AppError {
    constructor(message: string, options: ErrorOptions = {}) {
      super(code, message, { ...defaults, ...options });
    }
  };
}

export class NotFoundError extends withCode('not-found') {}
export class IdempotencyConflictError extends withCode('idempotency-key-reused') {}
/** Authenticated, but this caller may not do this. */
export class ForbiddenError extends withCode('forbidden') {}
/** Postgres is not there right now (down, unreachable, out of connections, too slow). */
export class DatabaseUnavailableError extends withCode('database-unavailable', {
  retriable: true,
}) {}

export interface FieldError {
  path: string;
  message: string;
}

/** The input does not fit its schema; `fieldErrors` says where. */
export class ValidationError extends AppError {
  constructor(
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super('validation', message);
  }
}

/**
 * No usable credentials. `challenge` is the WWW-Authenticate value (RFC 6750) the answer
 * carries, so a client can tell a missing token from a rejected one.
 */
export class UnauthorizedError extends AppError {
  constructor(
    message: string,
    readonly challenge: string,
  ) {
    super('unauthorized', message);
  }
}

/** What a client is told of an error: a database outage is described without its internals. */
export function publicDetail(error: AppError): string {
  return error.code === 'database-unavailable'
    ? 'The database is not reachable; retry later'
    : error.message;
}
