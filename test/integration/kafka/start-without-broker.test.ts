import { startOrderService, type RunningService } from '../../../src/application';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { aValidOrder, postOrder, readJson, testConfig } from '../../support/order-service-harness';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
import { readTopics } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { freshDatabase } from '../../support/fixtures/fresh-database';

const database = freshDatabase();

/**
 * The broker behind a proxy that refuses every connection (as a closed port does) while the
 * service starts; then the proxy lets connections through. Only the bootstrap goes through the
 * proxy: once it answers, kafkajs follows the broker's advertised address.
 */
describe('start-up with no broker reachable', () => {
  let proxy: TcpProxy;
  let service: RunningService | undefined;
  beforeAll(async () => {
    const [host, port] = sharedKafkaStack().brokers.split(',')[0].split(':');
    proxy = await startTcpProxy({ host, port: Number(port) });
  });
  afterAll(async () => {
    await service?.stop();
    await proxy.stop();
  });

  test('when no broker answers, then the service starts, takes orders into the outbox and publishes them once the broker is back', async () => {
    proxy.cut('reset');
    const config = testConfig({
      DATABASE_URL: database.url,
      KAFKA_BROKERS: `${proxy.host}:${proxy.port}`,
    });

    service = await startOrderService(config);
    const response = await postOrder(service.http.url, aValidOrder());

    expect(response.status).toBe(202);
    const { id } = await readJson(response);
    const { rows: waiting } = await database.sql.query(
      'SELECT published_at FROM outbox WHERE order_id = $1',
      [id],
    );
    expect(waiting).toEqual([{ published_at: null }]);
    expect(service.consumerState()).toBe('joining');
    // Intake works, so a load balancer should keep sending: the consumer's state is a detail.
    expect((await fetch(`${service.http.url}/ready`)).status).toBe(200);
    const report = await readJson(await fetch(`${service.admin.url}/ready`));
    expect(report.sagaConsumer).toBe('joining');
    expect(proxy.acceptedConnections()).toBeGreaterThan(0); // it did try the broker

    proxy.restore();

    const joined = service;
    await waitFor(() => joined.consumerState() === 'running', {
      timeoutMs: 90_000,
      message: 'the consumer joining once the broker answers',
    });
    const reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
    try {
      await waitFor(() => reader.records.some((record) => record.key === id), {
        timeoutMs: 60_000,
        message: 'the waiting order published once the broker answers',
      });
    } finally {
      await reader.stop();
    }
  }, 180_000);
});
