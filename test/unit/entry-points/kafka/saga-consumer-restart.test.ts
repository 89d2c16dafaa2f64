import { EventEmitter } from 'node:events';
import type { Kafka } from 'kafkajs';
import { createSagaConsumer } from '../../../../src/entry-points/kafka/saga-consumer';
import { createSagaRecordProcessor } from '../../../../src/entry-points/kafka/saga-record-processor';
import { createLogger } from '../../../../src/shared/logger';
import { createMetrics } from '../../../../src/shared/metrics';
import { waitFor } from '../../../support/wait-for';

/**
 * kafkajs gives up on a consumer after a crash it does not consider retriable. Provoking one on a
 * real broker is not reliable (a protocol error mid-rebalance), so this drives the restart logic
 * with a stand-in consumer that emits kafkajs's CRASH event; everything else is the real code.
 */
function fakeKafka() {
  const launched: Array<EventEmitter & { disconnected: boolean }> = [];
  const kafka = {
    consumer: () => {
      const consumer = Object.assign(new EventEmitter(), {
        disconnected: false,
        events: { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' },
        connect: async () => undefined,
        subscribe: async () => undefined,
        run: async () => undefined,
        disconnect: async () => {
          consumer.disconnected = true;
        },
      });
      launched.push(consumer);
      return consumer;
    },
  };
  return { kafka: kafka as unknown as Kafka, launched };
}

describe('saga consumer after a kafkajs crash', () => {
  test('when kafkajs crashes the consumer without restarting it, then a new consumer is launched and the state says so', async () => {
    const { kafka, launched } = fakeKafka();
    const consumer = createSagaConsumer(
      {
        kafka,
        processor: createSagaRecordProcessor(
          {
            decoder: {} as never,
            handleReplies: async () => [],
            deadLetters: {} as never,
            metrics: createMetrics(),
            logger: createLogger('silent'),
          },
          {
            groupId: 'g',
            topicPrefix: '',
            retryMinMs: 10,
            retryMaxMs: 20,
            maxUnknownAttempts: 3,
            maxBatchSize: 10,
          },
        ),
        logger: createLogger('silent'),
      },
      { groupId: 'g', partitionsConcurrency: 1, retryMinMs: 10, retryMaxMs: 20 },
    );
    await consumer.start();
    expect(consumer.state()).toBe('running');

    launched[0].emit('consumer.crash', {
      payload: { error: new Error('SyncGroup failed'), restart: false },
    });
    expect(consumer.state()).toBe('restarting');

    await waitFor(() => launched.length === 2 && consumer.state() === 'running', {
      timeoutMs: 2_000,
      message: 'the consumer was not relaunched',
    });
    expect(launched[0].disconnected).toBe(true);

    await consumer.stop();
    expect(consumer.state()).toBe('stopped');
    launched[1].emit('consumer.crash', { payload: { error: new Error('late'), restart: false } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(launched).toHaveLength(2); // no relaunch after stop
  });
});
