import { startOrderService } from '../../../src/application';
import {
  testConfig,
  aValidOrder,
  postOrder,
  startTestService,
  readJson,
} from '../../support/order-service-harness';
import { createTestDatabase } from '../../support/database';
import { ALL_RELAY_SLOTS } from '../../support/outbox-fixtures';

describe('health, readiness and a database outage', () => {
  test('when the database answers, then /health and /ready are 200, and the admin port says why', async () => {
    const app = await startTestService();
    try {
      expect((await fetch(`${app.url}/health`)).status).toBe(200);
      const publicReady = await fetch(`${app.url}/ready`);
      expect(publicReady.status).toBe(200);
      expect(await readJson(publicReady)).toEqual({ status: 'ready' });
      const ready = await fetch(`${app.adminUrl}/ready`);
      expect(ready.status).toBe(200);
      expect(await readJson(ready)).toEqual({
        status: 'ready',
        checks: { database: { ok: true } },
        kafkaProducerBreaker: 'closed',
        kafkaTopics: { status: 'present' },
        outboxRelaySlots: ALL_RELAY_SLOTS,
        sagaConsumer: 'running',
      });
    } finally {
      await app.stop();
    }
  });

  test('when the database goes away, then intake answers 503 with Retry-After, /ready is 503 without the error, /health stays 200', async () => {
    const database = await createTestDatabase();
    const service = await startOrderService(
      testConfig({
        DATABASE_URL: database.url,
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
      }),
    );
    try {
      expect((await postOrder(service.http.url, aValidOrder())).status).toBe(202);

      // A real outage for this service: its database is dropped and every connection cut.
      await database.drop();

      const response = await postOrder(service.http.url, aValidOrder());
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await readJson(response)).toMatchObject({
        type: '/problems/database-unavailable',
        status: 503,
      });
      const ready = await fetch(`${service.http.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await readJson(ready)).toEqual({ status: 'not ready' });
      const report = await readJson(await fetch(`${service.admin.url}/ready`));
      expect(report.checks.database).toEqual({ ok: false, detail: expect.any(String) });
      expect((await fetch(`${service.http.url}/health`)).status).toBe(200);
    } finally {
      await service.stop();
    }
  });

  test('when the database server is unreachable, then reads answer 503 too', async () => {
    const service = await startOrderService(
      testConfig({
        DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none',
      }),
    );
    try {
      const response = await fetch(`${service.http.url}/api/v1/orders`);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).not.toBeNull();
    } finally {
      await service.stop();
    }
  });
});
