import { KafkaJSNonRetriableError, type Kafka } from 'kafkajs';
import { createGuardedProducer } from '../../../src/messaging/guarded-producer';
import { capturingLogger } from '../../support/capturing-logger';

/**
 * A stand-in for kafkajs whose first producer fails every send the way kafkajs 2.2.4 does once
 * its seed broker was left half set up (its ApiVersions request timed out against a hung
 * broker): the Broker's own plain Error, wrapped by the retrier. The real-broker version of this
 * is test/integration/dlq/dead-letter-frozen-broker.test.ts, which depends on timing.
 */
function kafkaWithHalfConnectedFirstProducer() {
  const producers: { sends: number; disconnected: boolean }[] = [];
  const kafka = {
    producer: () => {
      const state = { sends: 0, disconnected: false };
      const broken = producers.length === 0;
      producers.push(state);
      return {
        connect: async () => undefined,
        disconnect: async () => {
          state.disconnected = true;
        },
        sendBatch: async () => {
          state.sends += 1;
          if (broken) throw new KafkaJSNonRetriableError(new Error('Broker not connected'));
          return [];
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, producers };
}

const options = {
  idempotent: true,
  timeoutMs: 1_000,
  errorThresholdPercentage: 50,
  volumeThreshold: 3,
  resetTimeoutMs: 60_000,
  rollingCountTimeoutMs: 60_000,
};

test('when kafkajs reports a broker left half connected, then the next send goes through a new producer', async () => {
  const { kafka, producers } = kafkaWithHalfConnectedFirstProducer();
  const { logger, entries } = capturingLogger();
  const producer = createGuardedProducer(kafka, options, logger);

  await expect(producer.send([])).rejects.toThrow('Broker not connected');
  await producer.send([]);

  expect(producers).toEqual([
    { sends: 1, disconnected: true },
    { sends: 1, disconnected: false },
  ]);
  expect(entries.map((entry) => entry.message)).toContain(
    'connection left half set up by a broker that did not answer; starting a new producer',
  );
  await producer.disconnect();
});
