import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { ReplyResult, SagaReply } from '../../../src/domain/handle-replies-use-case';
import { createDeadLetterPublisher } from '../../../src/messaging/dead-letter-publisher';
import {
  createGuardedProducer,
  type GuardedProducer,
} from '../../../src/messaging/guarded-producer';
import { createMetrics } from '../../../src/shared/metrics';
import { capturingLogger } from '../../support/capturing-logger';
import type { SagaConsumer } from '../../../src/entry-points/kafka/saga-consumer';
import { sharedKafkaStack } from '../../support/kafka-stack';
import {
  committedOffset,
  startSagaConsumerUnderTest,
} from '../../support/saga-consumer-under-test';
import { uniqueTopicPrefix } from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { ensureTopics } from '../../support/service-topics';
import { startTestBroker, type TestBroker } from '../../support/test-broker';
import { waitFor } from '../../support/wait-for';

// The waits below: 60 s for the breaker to open, 60 s after the thaw, 30 s for the commit.
jest.setTimeout(240_000);

/**
 * The dead-letter write path with nothing faked but the saga store: the consumer reads from the
 * shared broker, and the real publisher writes through the real breaker-guarded producer to a
 * broker of this file's own, which the test freezes (SIGSTOP). (One frozen broker for both would
 * stop the consumer too, and with it the path under test.) A poison record's offset stays
 * uncommitted, and nothing behind it runs, until its dead-letter write is acknowledged.
 *
 * The producer first connects while that broker is frozen: this found kafkajs keeping a
 * half-set-up connection for ever ("Broker not connected" after the thaw; guarded-producer.ts).
 */
describe('when the broker taking dead letters is frozen', () => {
  const { brokers, registryUrl } = sharedKafkaStack();
  const sourceBrokers = brokers.split(',');
  const prefix = uniqueTopicPrefix();
  const groupId = `saga-${randomBytes(4).toString('hex')}`;
  const topic = `${prefix}payment_successful`;
  const logs = capturingLogger('debug');
  let dlqBroker: TestBroker;
  let dlqProducer: GuardedProducer;
  let peers: PeerEvents;
  let admin: Admin;
  let dlqAdmin: Admin;
  let consumer: SagaConsumer;
  const applied: string[] = [];

  beforeAll(async () => {
    dlqBroker = await startTestBroker();
    await ensureTopics(dlqBroker.brokers, [`${topic}_dlq`]);
    peers = await startPeerEvents(sourceBrokers, registryUrl, prefix);
    const kafka = new Kafka({ brokers: sourceBrokers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    const dlqKafka = new Kafka({
      brokers: dlqBroker.brokers,
      logLevel: logLevel.NOTHING,
      requestTimeout: 1_000,
    });
    dlqAdmin = dlqKafka.admin();
    await Promise.all([admin.connect(), dlqAdmin.connect()]);
    dlqProducer = createGuardedProducer(
      dlqKafka,
      {
        idempotent: dlqBroker.kind === 'jvm',
        timeoutMs: 2_000,
        errorThresholdPercentage: 50,
        volumeThreshold: 2,
        resetTimeoutMs: 3_000,
        rollingCountTimeoutMs: 30_000,
      },
      logs.logger,
    );
    const handleReplies = async (replies: readonly SagaReply[]): Promise<ReplyResult[]> =>
      replies.map(({ ref }): ReplyResult => {
        applied.push(ref.eventId);
        return { outcome: 'applied' };
      });
    consumer = await startSagaConsumerUnderTest({
      kafka,
      registryUrl,
      groupId,
      topicPrefix: prefix,
      handleReplies,
      deadLetters: createDeadLetterPublisher(dlqProducer, {
        serviceVersion: 'test',
        metrics: createMetrics(),
        logger: logs.logger,
      }),
      logger: logs.logger,
      retries: { retryMinMs: 50, retryMaxMs: 500 },
    });
  }, 90_000);
  afterAll(async () => {
    dlqBroker?.thaw();
    await consumer?.stop();
    await dlqProducer?.disconnect().catch(() => undefined);
    await Promise.allSettled([admin?.disconnect(), dlqAdmin?.disconnect(), peers?.stop()]);
    await dlqBroker?.stop();
  });

  const committed = (partition: number) => committedOffset(admin, groupId, topic, partition);

  async function deadLetters(): Promise<number> {
    const offsets = await dlqAdmin.fetchTopicOffsets(`${topic}_dlq`);
    return offsets.reduce((sum, { high }) => sum + Number(high), 0);
  }

  const failedWrites = () =>
    logs.entries.filter(
      (entry) => entry.message === 'dead-letter write failed; record will be retried',
    ).length;

  test('then the poison offset is committed only after the dead-letter write is acknowledged, and the writes went through the breaker', async () => {
    const orderId = randomUUID();
    dlqBroker.freeze();
    await peers.sendRaw('payment_successful', orderId, Buffer.from('not avro at all'));
    const good = await peers.send('payment_successful', { orderId, paymentId: 'pay-1', amount: 1 });
    const offsets = await admin.fetchTopicOffsets(topic);
    const withRecords = offsets.find(({ high }) => Number(high) > 0);
    const partition = withRecords?.partition as number;
    const next = Number(withRecords?.high);
    const poisonOffset = next - 2;

    // Or until the consumer moved past the poison record, which fails the test at once.
    await waitFor(
      () =>
        applied.length > 0 ||
        (failedWrites() >= 3 &&
          logs.entries.some(
            (entry) => entry.message === 'circuit breaker opened: Kafka sends paused',
          )),
      { timeoutMs: 60_000, message: 'failed dead-letter writes and the breaker open' },
    );
    expect(applied).toEqual([]);
    expect(await committed(partition)).toBeLessThanOrEqual(poisonOffset);

    dlqBroker.thaw();

    await waitFor(() => applied.includes(String(good.eventId)), {
      timeoutMs: 60_000,
      message: 'the record behind the poison one applied',
    }).catch((error: Error) => {
      const tail = logs.entries.slice(-12).map((entry) => JSON.stringify(entry).slice(0, 300));
      throw new Error(`${error.message}\nlast log entries:\n${tail.join('\n')}`);
    });
    // At least once: a write the breaker gave up on may still land once the broker wakes.
    expect(await deadLetters()).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await committed(partition)) === next, {
      timeoutMs: 30_000,
      message: `offset ${next} committed after the write`,
    });
    // Acknowledged once: after that the offset moved on and the record was not tried again.
    expect(logs.entries.filter((entry) => entry.message === 'record dead-lettered')).toHaveLength(
      1,
    );
  });
});
