/**
 * The one error type the service raises on purpose. `httpStatus` tells the HTTP
 * error handler what to answer; `retriable` tells consumers and the relay whether
 * trying again later can succeed (as kafkajs's `KafkaJSError.retriable` does).
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
    readonly retriable = false,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.details = options?.details;
  }

  /** Extra members for the problem document (e.g. the order's current status). */
  readonly details?: Record<string, unknown>;
}

export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends AppError {
  constructor(
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super('validation', message, 400);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super('not-found', message, 404);
  }
}

export class IdempotencyConflictError extends AppError {
  constructor(message: string) {
    super('idempotency-key-reused', message, 422);
  }
}

export class DatabaseUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('database-unavailable', 'The database is not reachable right now', 503, true, { cause });
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, 409, false, { details });
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
    super('unauthorized', message, 401);
  }
}

/** Authenticated, but this caller may not do this. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', message, 403);
  }
}
