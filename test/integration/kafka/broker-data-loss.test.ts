import { Kafka, logLevel } from 'kafkajs';
import { serviceTopics } from '../../../src/messaging/topic-provisioning';
import { physicalTopic } from '../../../src/messaging/topics';
import {
  jvmBrokerUnavailableReason,
  startJvmBroker,
  type JvmBroker,
} from '../../support/kafka-jvm-broker';
import { sharedKafkaStack } from '../../support/kafka-stack';
import {
  aValidOrder,
  postOrder,
  readJson,
  startTestService,
  type TestService,
} from '../../support/order-service-harness';
import { startPeerEvents } from '../../support/peer-events';
import { readTopics } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { waitForStatus } from '../saga/saga-fixture';

/** A broker of its own, to kill and bring back empty; the peers' helpers need a real shared one. */
const canRun = !jvmBrokerUnavailableReason() && sharedKafkaStack().flavour === 'real';
const describeIfRunnable = canRun ? describe : describe.skip;

/**
 * The broker's disk lost: SIGKILL, then the same broker (port, cluster id) started on an empty,
 * re-formatted log directory. No topics, no records, no committed offsets. docs/reliability.md
 * says what an operator must do about the records lost with it.
 */
describeIfRunnable('broker data loss, with KAFKA_CREATE_TOPICS=true', () => {
  let broker: JvmBroker;
  let app: TestService;

  beforeAll(async () => {
    broker = await startJvmBroker();
    app = await startTestService({ KAFKA_BROKERS: broker.brokers.join(',') });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await broker?.stop();
  });

  async function publishedRequest(orderId: string): Promise<void> {
    const reader = await readTopics(broker.brokers, app.config.SCHEMA_REGISTRY_URL, [
      physicalTopic(app.config.KAFKA_TOPIC_PREFIX, 'process_payment_request'),
    ]);
    try {
      await waitFor(() => reader.records.some((record) => record.key === orderId), {
        timeoutMs: 60_000,
        message: `the payment request of ${orderId} published`,
      });
    } finally {
      await reader.stop();
    }
  }

  test('when the broker comes back empty, then the service re-creates its topics, publishes new orders and consumes replies again', async () => {
    const before = await readJson(await postOrder(app.url, aValidOrder()));
    await publishedRequest(before.id);

    await broker.kill();
    await broker.start({ emptied: true });

    const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const wanted = serviceTopics(app.config.KAFKA_TOPIC_PREFIX);
      await waitFor(
        async () => {
          const listed = new Set(await admin.listTopics());
          return wanted.every((topic) => listed.has(topic));
        },
        { timeoutMs: 90_000, intervalMs: 500, message: 'every topic re-created by the service' },
      );
    } finally {
      await admin.disconnect();
    }
    await waitFor(() => app.service.consumerState() === 'running', {
      timeoutMs: 60_000,
      message: 'the consumer running on the empty broker',
    });

    const after = await readJson(await postOrder(app.url, aValidOrder()));
    await publishedRequest(after.id);
    // The group's committed offsets went with the disk: the consumer reads the new topics from
    // their beginning, so the first reply on them is applied.
    const peers = await startPeerEvents(
      broker.brokers,
      app.config.SCHEMA_REGISTRY_URL,
      app.config.KAFKA_TOPIC_PREFIX,
    );
    try {
      await peers.send('payment_successful', {
        orderId: after.id,
        paymentId: `pay-${after.id}`,
        amount: 5_048,
      });
      await waitForStatus(app.url, after.id, 'INVENTORY_RESERVING');
    } finally {
      await peers.stop();
    }
  }, 300_000);
});
