import { asyncApiDocument } from '../../../src/messaging/asyncapi-document';
import { serviceVersion } from '../../../src/shared/service-version';
import { readJson, startTestService } from '../../support/order-service-harness';

describe('the Kafka contract on the admin port', () => {
  test('when a peer team asks the admin port for /asyncapi.json, then it gets the contract with this instance’s topic prefix and group; the public port does not serve it', async () => {
    const app = await startTestService();
    try {
      const answer = await fetch(`${app.adminUrl}/asyncapi.json`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      const served = (await readJson(answer)) as ReturnType<typeof asyncApiDocument>;
      expect(served).toEqual(
        asyncApiDocument({
          topicPrefix: app.config.KAFKA_TOPIC_PREFIX,
          consumerGroup: app.config.SAGA_CONSUMER_GROUP,
          clientId: app.config.KAFKA_CLIENT_ID,
          version: serviceVersion(),
        }),
      );
      expect(served.channels.payment_successful?.address).toBe(
        `${app.config.KAFKA_TOPIC_PREFIX}payment_successful`,
      );
      // It names internal topics: customers on the public port get the usual 404.
      expect((await fetch(`${app.url}/asyncapi.json`)).status).toBe(404);
    } finally {
      await app.stop();
    }
  });
});
