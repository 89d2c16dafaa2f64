import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { ReplyResult, SagaReply } from '../../../src/domain/handle-replies-use-case';
import { UnknownOrderError } from '../../../src/domain/saga-errors';
import type {
  DeadLetterPublisher,
  FailedRecord,
} from '../../../src/messaging/dead-letter-publisher';
import { createLogger } from '../../../src/shared/logger';
import type { SagaConsumer } from '../../../src/entry-points/kafka/saga-consumer';
import { sharedKafkaStack } from '../../support/kafka-stack';
import {
  committedOffset,
  startSagaConsumerUnderTest,
} from '../../support/saga-consumer-under-test';
import { uniqueTopicPrefix } from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { waitFor } from '../../support/wait-for';

/**
 * The saga consumer on the real broker and registry, with the DLQ write made to fail on demand
 * (and the saga store replaced by a recorder): a poison record's offset is committed only once
 * its dead-letter write was acknowledged; until then it is retried and nothing behind it runs.
 */
describe('when the dead-letter write fails', () => {
  const { brokers, registryUrl } = sharedKafkaStack();
  const brokerList = brokers.split(',');
  const prefix = uniqueTopicPrefix();
  const groupId = `saga-${randomBytes(4).toString('hex')}`;
  const topic = `${prefix}payment_successful`;
  let peers: PeerEvents;
  let admin: Admin;
  let consumer: SagaConsumer;
  const applied: string[] = [];
  const publishAttempts: { offset: string; appliedSoFar: number }[] = [];
  const deadLettered: FailedRecord[] = [];
  let dlqAvailable = false;
  let poisonEventId = '';

  beforeAll(async () => {
    peers = await startPeerEvents(brokerList, registryUrl, prefix);
    const kafka = new Kafka({ brokers: brokerList, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    // The use case's contract: the replies behind a rejected one are deferred, not applied.
    const handleReplies = async (replies: readonly SagaReply[]): Promise<ReplyResult[]> => {
      const poison = replies.findIndex(({ ref }) => ref.eventId === poisonEventId);
      return replies.map(({ ref }, index): ReplyResult => {
        if (index === poison) return { rejected: new UnknownOrderError(ref.orderId) };
        if (poison >= 0 && index > poison) return { deferred: true };
        applied.push(ref.eventId);
        return { outcome: 'applied' };
      });
    };
    const deadLetters: DeadLetterPublisher = {
      async publish(record) {
        publishAttempts.push({ offset: record.message.offset, appliedSoFar: applied.length });
        if (!dlqAvailable) throw new Error('DLQ write not acknowledged (test)');
        deadLettered.push(record);
      },
    };
    consumer = await startSagaConsumerUnderTest({
      kafka,
      registryUrl,
      groupId,
      topicPrefix: prefix,
      handleReplies,
      deadLetters,
      logger: createLogger('silent'),
      retries: { retryMinMs: 20, retryMaxMs: 100 },
    });
  }, 60_000);
  afterAll(async () => {
    await consumer?.stop();
    await admin?.disconnect();
    await peers?.stop();
  });

  const committed = (partition: number) => committedOffset(admin, groupId, topic, partition);

  async function positionOf(eventId: string) {
    // Both records share the key, hence the partition; the second one is the last in it.
    const offsets = await admin.fetchTopicOffsets(topic);
    const [withRecords] = offsets.filter(({ high }) => Number(high) > 0);
    return {
      partition: withRecords?.partition as number,
      next: Number(withRecords?.high),
      eventId,
    };
  }

  test('then the poison record is retried, nothing behind it is applied and its offset stays uncommitted until the write succeeds', async () => {
    const orderId = randomUUID();
    const poison = { orderId, paymentId: 'pay-1', amount: 1, eventId: randomUUID() };
    poisonEventId = poison.eventId;
    await peers.send('payment_successful', poison);
    const good = await peers.send('payment_successful', { orderId, paymentId: 'pay-2', amount: 2 });
    const { partition, next } = await positionOf(String(good.eventId));
    const poisonOffset = String(next - 2);

    await waitFor(() => publishAttempts.length >= 3, {
      timeoutMs: 20_000,
      message: 'three failed dead-letter writes',
    });

    expect(new Set(publishAttempts.map((attempt) => attempt.offset))).toEqual(
      new Set([poisonOffset]),
    );
    expect(applied).toEqual([]);
    expect(await committed(partition)).toBeLessThanOrEqual(Number(poisonOffset));

    dlqAvailable = true;

    await waitFor(() => applied.includes(String(good.eventId)), {
      timeoutMs: 20_000,
      message: 'the record behind the poison one applied',
    });
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]?.message.offset).toBe(poisonOffset);
    expect(publishAttempts.every((attempt) => attempt.appliedSoFar === 0)).toBe(true);
    await waitFor(async () => (await committed(partition)) === next, {
      message: `offset ${next} committed after the write`,
    });
  });
});
