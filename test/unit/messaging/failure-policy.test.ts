import { KafkaJSConnectionError, KafkaJSNonRetriableError } from 'kafkajs';
import { ZodError } from 'zod';
import { ConcurrentUpdateError, UnknownOrderError } from '../../../src/domain/saga-errors';
import { Prisma } from '../../../src/generated/prisma/client';
import { translateDatabaseErrors } from '../../../src/data-access/database-errors';
import { classifyFailure, PoisonRecordError } from '../../../src/messaging/failure-policy';

/**
 * What the consumer sees of `error`: database failures reach it through a store, which turns
 * an unreachable Postgres into DatabaseUnavailableError; anything else passes unchanged.
 */
async function asSeenByConsumer(error: unknown): Promise<unknown> {
  const store = translateDatabaseErrors({
    apply: async () => {
      throw error;
    },
  });
  return store.apply().catch((seen: unknown) => seen);
}

/** What the Prisma client throws, as built by the adapter for a driver error. */
function prismaError(code: string, message: string, meta?: Record<string, unknown>) {
  return new Prisma.PrismaClientKnownRequestError(message, { code, clientVersion: '7', meta });
}

/**
 * Retry or dead-letter: a dependency outage must never reach the DLQ, a record that cannot be
 * processed must not block its partition forever.
 */
describe('failure policy: retry or dead-letter', () => {
  test.each([
    [
      'the database closed the connection (P1017)',
      prismaError('P1017', 'Server has closed the connection.'),
    ],
    [
      'a transaction could not start in time, as when Postgres stops answering (P2028)',
      prismaError(
        'P2028',
        'Transaction API error: Unable to start a transaction in the given time.',
      ),
    ],
    ['the pool timed out (P2024)', prismaError('P2024', 'Timed out fetching a new connection')],
    [
      'the driver lost the connection',
      prismaError('P2010', 'Raw query failed', {
        driverAdapterError: { cause: { kind: 'ConnectionClosed' } },
      }),
    ],
    [
      'pg could not connect',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    ['the broker is unreachable', new KafkaJSConnectionError('Connection error')],
    ['the order changed concurrently', new ConcurrentUpdateError('o-1')],
    [
      'the registry is down',
      Object.assign(new Error('Service Unavailable'), { name: 'ResponseError', status: 503 }),
    ],
    [
      'the registry refuses our credentials',
      Object.assign(new Error('Unauthorized'), { name: 'ResponseError', status: 401 }),
    ],
    [
      'a statement ran past statement_timeout (57014)',
      prismaError('P2010', 'canceling statement due to statement timeout', {
        driverAdapterError: { cause: { kind: 'postgres', code: '57014', originalCode: '57014' } },
      }),
    ],
  ])('when %s, then the record is retried (transient)', async (_case, error) => {
    expect(classifyFailure(await asSeenByConsumer(error))).toBe('transient');
  });

  test.each([
    ['the record is not Avro', new PoisonRecordError('not-confluent-avro', 'bad bytes')],
    ['the record fails validation', new ZodError([])],
    ['the order does not exist', new UnknownOrderError('o-1')],
  ])('when %s, then the record is dead-lettered at once (poison)', async (_case, error) => {
    expect(classifyFailure(await asSeenByConsumer(error))).toBe('poison');
  });

  test.each([
    [
      'Postgres refuses a value (22021, NUL in text)',
      prismaError('P2010', 'invalid byte sequence for encoding "UTF8": 0x00', {
        driverAdapterError: { cause: { kind: 'postgres', originalCode: '22021' } },
      }),
    ],
    ['a unique constraint is violated (P2002)', prismaError('P2002', 'Unique constraint failed')],
    ['kafkajs gives up for good', new KafkaJSNonRetriableError('no')],
    ['the handler has a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
  ])(
    'when %s, then the record is retried a few times and then dead-lettered (unknown)',
    async (_case, error) => {
      expect(classifyFailure(await asSeenByConsumer(error))).toBe('unknown');
    },
  );
});
