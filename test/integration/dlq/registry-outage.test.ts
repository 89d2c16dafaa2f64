import { Kafka, logLevel, type Admin } from 'kafkajs';
import { deadLetterTopic, physicalTopic } from '../../../src/messaging/topics';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { startTestService, type TestService } from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import {
  startRegistryFront,
  type RegistryFront,
  type RegistryFrontMode,
} from '../../support/registry-front';
import { waitFor } from '../../support/wait-for';
import { placeOrder, waitForStatus } from '../saga/saga-fixture';

jest.setTimeout(90_000);

/**
 * The service reaches the registry through a front that can refuse connections, hang or answer
 * 503; the peers write through the real registry. Each reply is written with a schema version
 * the service has never fetched, so decoding it needs the registry during the outage. The real
 * client's own errors must be read as an outage: the partition retries, nothing is
 * dead-lettered, and the reply is applied once the registry is back.
 */
describe('when the schema registry is down while replies are consumed', () => {
  const { brokers, registryUrl } = sharedKafkaStack();
  let front: RegistryFront;
  let app: TestService;
  let peers: PeerEvents;
  let admin: Admin;

  beforeAll(async () => {
    front = await startRegistryFront(registryUrl);
    app = await startTestService({
      SCHEMA_REGISTRY_URL: front.url,
      // Short enough that a hanging registry shows up in a few seconds.
      SCHEMA_REGISTRY_TIMEOUT_MS: '1000',
      CONSUMER_RETRY_MAX_MS: '1000',
      // An error of unknown kind is dead-lettered after two attempts: more retries than that
      // prove the outage was read as transient.
      CONSUMER_MAX_UNKNOWN_ATTEMPTS: '2',
    });
    const list = brokers.split(',');
    peers = await startPeerEvents(list, registryUrl, app.config.KAFKA_TOPIC_PREFIX);
    admin = new Kafka({ brokers: list, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    // The service's own schemas fetched while the registry answers.
    await paidOrder();
  }, 60_000);
  afterAll(async () => {
    await front?.setMode('forward');
    await admin?.disconnect();
    await peers?.stop();
    await app?.stop();
    await front?.stop();
  });

  async function consumerRetries(): Promise<number> {
    const text = await (await fetch(`${app.adminUrl}/metrics`)).text();
    return [...text.matchAll(/^consumer_retries_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
  }

  async function deadLetters(): Promise<number> {
    const topic = deadLetterTopic(
      physicalTopic(app.config.KAFKA_TOPIC_PREFIX, 'payment_successful'),
    );
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, { high }) => sum + Number(high), 0);
  }

  /** An order paid with a writer schema the service has not seen. */
  async function paidOrder() {
    const order = await placeOrder(app.url);
    const schemaId = await peers.registerVariant('payment_successful');
    await peers.send(
      'payment_successful',
      { orderId: order.id, paymentId: `pay-${order.id}`, amount: order.totalAmount },
      schemaId,
    );
    return order as { id: string };
  }

  test.each<[string, RegistryFrontMode]>([
    ['refuses connections', 'refuse'],
    ['accepts connections and never answers', 'hang'],
    ['answers 503', 'unavailable'],
  ])(
    'when it %s, then the reply is retried, never dead-lettered, and applied once it is back',
    async (_case, mode) => {
      await front.setMode(mode);
      const retriesBefore = await consumerRetries();

      const order = await paidOrder();

      await waitFor(async () => (await consumerRetries()) >= retriesBefore + 4, {
        timeoutMs: 30_000,
        message: 'four retries of the reply during the outage',
      });
      expect(await deadLetters()).toBe(0);
      expect((await waitForStatus(app.url, order.id, 'PENDING')).status).toBe('PENDING');

      await front.setMode('forward');

      await waitForStatus(app.url, order.id, 'INVENTORY_RESERVING');
      expect(await deadLetters()).toBe(0);
    },
  );
});
