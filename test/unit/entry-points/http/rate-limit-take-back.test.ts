import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  routeRateLimit,
  type RateLimitCounter,
} from '../../../../src/entry-points/http/rate-limits';
import { runSteps, type Step } from '../../../../src/entry-points/http/request-steps';
import { createLogger } from '../../../../src/shared/logger';

/**
 * Only accepted orders count against the create limit: a hit is taken back when the answer is a
 * refusal, or when the client is gone before any answer, even while the hit is still being
 * counted (a slow database). The counter here is held open by the test to make that moment.
 */
describe('the create rate limit takes back what was not accepted', () => {
  let server: Server;
  let url: URL;
  let hitStarted: () => void = () => undefined;
  let releaseHit: () => void = () => undefined;
  const undone: string[] = [];

  const counter: RateLimitCounter = {
    async hit() {
      hitStarted();
      await new Promise<void>((resolve) => {
        releaseHit = resolve;
      });
      return { hits: 1, resetTime: new Date(Date.now() + 60_000) };
    },
    async undo(key) {
      undone.push(key);
    },
    async reset() {},
  };

  beforeAll(async () => {
    const asCustomer: Step = (req, _res, next) => {
      req.caller = { kind: 'customer', customerId: 'c-1' };
      next();
    };
    const answerAsAsked: Step = (req, res) => {
      res.statusCode = Number(req.headers['x-answer']);
      res.end();
    };
    const limit = routeRateLimit(
      'create',
      { perMinute: { create: 5, read: 0, cancel: 0 }, counter },
      () => '127.0.0.1',
      createLogger('silent'),
    );
    server = createServer(runSteps([asCustomer, limit, answerAsAsked], () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    undone.length = 0;
  });

  /** Sends a request; resolves once its hit is being counted, with a way to finish or abandon it. */
  function send(answer: number) {
    const counting = new Promise<void>((resolve) => {
      hitStarted = resolve;
    });
    const client = request(url, { method: 'POST', headers: { 'x-answer': String(answer) } });
    const answered = new Promise<number>((resolve) =>
      client.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      }),
    );
    client.on('error', () => undefined);
    client.end();
    return { counting, answered, abandon: () => client.destroy() };
  }

  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  test('when the order is accepted, then its hit stays', async () => {
    const call = send(202);
    await call.counting;
    releaseHit();
    expect(await call.answered).toBe(202);
    await settle();
    expect(undone).toEqual([]);
  });

  test('when the order is refused, then its hit is taken back once', async () => {
    const call = send(400);
    await call.counting;
    releaseHit();
    expect(await call.answered).toBe(400);
    await settle();
    expect(undone).toEqual(['create:customer:c-1']);
  });

  test('when the client is gone while its hit is counted, then the hit is taken back once', async () => {
    const call = send(202);
    await call.counting;
    call.abandon();
    await settle(); // the server sees the connection close before the count returns
    releaseHit();
    await settle();
    expect(undone).toEqual(['create:customer:c-1']);
  });
});
