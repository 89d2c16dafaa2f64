import { Prisma } from '../generated/prisma/client';
import { DatabaseUnavailableError } from '../shared/app-error';

/** Adapter error kinds that mean "the database is not there right now", not "your query is wrong". */
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
  'ConnectionClosed',
  'TlsConnectionError',
  'TooManyConnections',
  'SocketTimeout',
]);
/**
 * Prisma codes for the same conditions (P1xxx: connection; P2024: pool timeout; P2034: write
 * conflict; P2028: an interactive transaction could not start or ran out of time, which is what
 * a database that stops answering looks like once the pool's connect timeout exceeds maxWait).
 */
const UNAVAILABLE_PRISMA_CODES = new Set([
  'P1001',
  'P1002',
  'P1003',
  'P1008',
  'P1017',
  'P2024',
  'P2028',
  'P2034',
]);
/**
 * SQLSTATE classes 08 (connection), 53 (resources), 57P (operator intervention), 57014 (a
 * statement cancelled, as statement_timeout does to one that waits or runs too long), 40001
 * serialization, 40P01 deadlock, 3D000 (the database is gone), 28 (credentials refused): what
 * Prisma reports as DatabaseNotReachable, DatabaseDoesNotExist, AuthenticationFailed...
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P|57014|40001|40P01|3D000|28)/;
/** Node-level socket failures and pg's own pool/connect timeouts. */
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
]);
/** node-postgres's own words for a connection that failed, broke, or stopped answering. */
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|not queryable|Query read timeout/i;

interface AdapterCause {
  kind?: string;
  originalCode?: string;
  code?: string;
}

/** True when trying again later can succeed: the error is about reaching Postgres, not the query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof Prisma.PrismaClientInitializationError) return true;
    if (current instanceof Prisma.PrismaClientKnownRequestError) {
      if (UNAVAILABLE_PRISMA_CODES.has(current.code)) return true;
      const cause = (current.meta?.driverAdapterError as { cause?: AdapterCause } | undefined)
        ?.cause;
      if (cause && isUnavailableCause(cause)) return true;
    }
    const plain = current as AdapterCause & { message?: string; cause?: unknown };
    if (isUnavailableCause(plain)) return true;
    if (typeof plain.message === 'string' && UNAVAILABLE_MESSAGES.test(plain.message)) return true;
    current = plain.cause;
  }
  return false;
}

function isUnavailableCause({ kind, originalCode, code }: AdapterCause): boolean {
  return (
    (kind !== undefined && UNAVAILABLE_KINDS.has(kind)) ||
    (originalCode !== undefined && UNAVAILABLE_SQLSTATE.test(originalCode)) ||
    (code !== undefined && (UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)))
  );
}

/**
 * P2002 from Prisma's model queries; its raw queries report the adapter's kind (or SQLSTATE
 * 23505); plain `pg` reports the SQLSTATE itself.
 */
export function isUniqueViolation(error: unknown): boolean {
  if ((error as { code?: unknown }).code === '23505') return true;
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (error.code === 'P2002') return true;
  const cause = (error.meta?.driverAdapterError as { cause?: AdapterCause } | undefined)?.cause;
  return cause?.kind === 'UniqueConstraintViolation' || cause?.originalCode === '23505';
}

/**
 * `store` with every method's failures to reach Postgres turned into DatabaseUnavailableError
 * (retriable), so nothing outside data-access needs to know what Prisma or pg throw.
 */
export function translateDatabaseErrors<Store extends object>(store: Store): Store {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    wrapped[name] =
      typeof member === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (member as (...a: unknown[]) => Promise<unknown>).apply(store, args);
            } catch (error) {
              throw isDatabaseUnavailable(error)
                ? new DatabaseUnavailableError('The database is not reachable right now', {
                    cause: error,
                  })
                : error;
            }
          }
        : member;
  }
  return wrapped as Store;
}
