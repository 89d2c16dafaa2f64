import { createHash } from 'node:crypto';
import {
  aValidOrder,
  postOrder,
  readJson,
  startTestService,
} from '../../support/order-service-harness';
import { bearer, customerToken, jwtSettings } from '../../support/auth-tokens';
import { runningService } from '../../support/fixtures/running-service';

/** express-rate-limit's draft-8 partition key: base64 of the first 12 hex digits of SHA-256. */
const partitionKey = (key: string) =>
  Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');

describe('rate limit on order creation, per token subject', () => {
  const LIMIT = 3;
  const app = runningService({ ...jwtSettings(), RATE_LIMIT_PER_MINUTE: String(LIMIT) });

  const ordersOf = async (customerId: string) =>
    (
      await app.sql.query('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [
        customerId,
      ])
    ).rows[0].n;

  test('when a subject creates more orders in a minute than allowed, then 429 with Retry-After and nothing stored', async () => {
    const alice = bearer(await customerToken('rl-alice'));
    for (let i = 0; i < LIMIT; i++) {
      expect((await postOrder(app.url, aValidOrder({ customerId: undefined }), alice)).status).toBe(
        202,
      );
    }

    const refused = await postOrder(app.url, aValidOrder({ customerId: undefined }), alice);

    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await readJson(refused)).toMatchObject({ type: '/problems/rate-limited', status: 429 });
    expect(await ordersOf('rl-alice')).toBe(LIMIT);
  });

  test('when a subject creates orders, then each answer tells what is left, in the draft-8 headers express-rate-limit writes', async () => {
    const frank = bearer(await customerToken('rl-frank'));
    const first = await postOrder(app.url, aValidOrder({ customerId: undefined }), frank);
    const second = await postOrder(app.url, aValidOrder({ customerId: undefined }), frank);

    expect(first.headers.get('ratelimit')).toMatch(/^"create"; r=2; t=([1-9]|[1-5]\d|60)$/);
    expect(second.headers.get('ratelimit')).toMatch(/^"create"; r=1; t=\d+$/);
    // The partition key is a digest of the subject's key, never the subject in clear.
    const policy = `"create"; q=${LIMIT}; w=60; pk=:${partitionKey('customer:rl-frank')}:`;
    expect(first.headers.get('ratelimit-policy')).toBe(policy);
  });

  test('when one subject is limited, then another subject is not', async () => {
    const bob = bearer(await customerToken('rl-bob'));
    expect((await postOrder(app.url, aValidOrder({ customerId: undefined }), bob)).status).toBe(
      202,
    );
  });

  test('when requests fail validation, then they do not use up the allowance', async () => {
    const carol = bearer(await customerToken('rl-carol'));
    for (let i = 0; i < LIMIT + 2; i++) {
      expect(
        (await postOrder(app.url, aValidOrder({ currency: 'eur', customerId: undefined }), carol))
          .status,
      ).toBe(400);
    }
    for (let i = 0; i < LIMIT; i++) {
      expect((await postOrder(app.url, aValidOrder({ customerId: undefined }), carol)).status).toBe(
        202,
      );
    }
  });

  test('when a limited subject lists its orders, then that is not limited', async () => {
    const erin = bearer(await customerToken('rl-erin'));
    for (let i = 0; i < LIMIT; i++)
      await postOrder(app.url, aValidOrder({ customerId: undefined }), erin);
    // Limited now, by this test itself (not by an earlier one).
    expect((await postOrder(app.url, aValidOrder({ customerId: undefined }), erin)).status).toBe(
      429,
    );

    expect((await fetch(`${app.url}/api/v1/orders`, { headers: erin })).status).toBe(200);
  });
});

describe('rate limit off', () => {
  test('when RATE_LIMIT_PER_MINUTE is 0, then a subject may create more orders than any limit', async () => {
    const app = await startTestService({ ...jwtSettings(), RATE_LIMIT_PER_MINUTE: '0' });
    try {
      const dave = bearer(await customerToken('rl-dave'));
      for (let i = 0; i < 5; i++) {
        expect(
          (await postOrder(app.url, aValidOrder({ customerId: undefined }), dave)).status,
        ).toBe(202);
      }
    } finally {
      await app.stop();
    }
  });
});
