import { EventEmitter } from 'node:events';
import type { Kafka } from 'kafkajs';
import {
  createSagaConsumer,
  type SagaConsumerOptions,
} from '../../../../src/entry-points/kafka/saga-consumer';
import { createSagaRecordProcessor } from '../../../../src/entry-points/kafka/saga-record-processor';
import { createLogger } from '../../../../src/shared/logger';
import { createMetrics } from '../../../../src/shared/metrics';

/**
 * A stop while the consumer joins its group. On a real broker (graceful-shutdown.test.ts) the
 * join's length depends on the group's other members; here a stand-in consumer's run() ends
 * when the test says, and, as kafkajs' does, fails when the consumer is disconnected first.
 */
function joiningKafka() {
  const events: string[] = [];
  let finishJoin = () => {};
  const kafka = {
    consumer: () => {
      let failJoin = (_error: Error) => {};
      const consumer = Object.assign(new EventEmitter(), {
        events: { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' },
        connect: async () => undefined,
        subscribe: async () => undefined,
        run: () =>
          new Promise<void>((resolve, reject) => {
            events.push('joining');
            finishJoin = () => {
              events.push('joined');
              resolve();
            };
            failJoin = reject;
          }),
        disconnect: async () => {
          events.push('disconnected');
          failJoin(new Error('Closed connection'));
        },
      });
      return consumer;
    },
  };
  return { kafka: kafka as unknown as Kafka, events, finishJoin: () => finishJoin() };
}

function sagaConsumer(
  kafka: Kafka,
  options: Partial<SagaConsumerOptions>,
  beforeJoin?: (signal: AbortSignal) => Promise<void>,
) {
  const retries = { retryMinMs: 10, retryMaxMs: 20 };
  const processor = createSagaRecordProcessor(
    {
      decoder: {} as never,
      handleReplies: async () => [],
      deadLetters: {} as never,
      metrics: createMetrics(),
      logger: createLogger('silent'),
    },
    { groupId: 'g', topicPrefix: '', maxUnknownAttempts: 3, maxBatchSize: 10, ...retries },
  );
  return createSagaConsumer(
    { kafka, processor, logger: createLogger('silent'), beforeJoin },
    { groupId: 'g', partitionsConcurrency: 1, ...retries, ...options },
  );
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('saga consumer stopped while it joins its group', () => {
  test('when the join ends within the wait, then the consumer is disconnected only after it joined', async () => {
    const { kafka, events, finishJoin } = joiningKafka();
    const consumer = sagaConsumer(kafka, { joinWaitOnStopMs: 5_000 });
    void consumer.start();
    await tick(20);

    const stopped = consumer.stop();
    await tick(100);
    expect(events).toEqual(['joining']); // not cut short: kafkajs would log a crash
    finishJoin();
    await stopped;

    expect(events[0]).toBe('joining');
    expect(events[1]).toBe('joined');
    expect(events.slice(2).every((event) => event === 'disconnected')).toBe(true);
    expect(consumer.state()).toBe('stopped');
  });

  test('when the join does not end within the wait (an unreachable broker), then the stop cuts it short', async () => {
    const { kafka, events } = joiningKafka();
    const consumer = sagaConsumer(kafka, { joinWaitOnStopMs: 150 });
    void consumer.start();
    await tick(20);

    const startedAt = Date.now();
    await consumer.stop();

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140);
    expect(events.slice(0, 2)).toEqual(['joining', 'disconnected']);
  });

  test('when stopped while the topics are checked, then no consumer joins at all', async () => {
    const { kafka, events } = joiningKafka();
    const consumer = sagaConsumer(kafka, {}, async (signal) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      await tick(20); // the check's last call returns after the stop began
    });
    void consumer.start();
    await tick(20);

    await consumer.stop();

    expect(events).toEqual([]);
  });
});
