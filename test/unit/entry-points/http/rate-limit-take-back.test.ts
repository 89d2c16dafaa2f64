import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  routeRateLimit,
  type RateLimitCounter,
} from '../../../../src/entry-points/http/rate-limits';
import { createAdmission } from '../../../../src/entry-points/http/admission';
import { runSteps, type Step } from '../../../../src/entry-points/http/request-steps';
import { createLogger } from '../../../../src/shared/logger';
import { createMetrics } from '../../../../src/shared/metrics';

/**
 * A server running what the create route runs around its work: a customer caller, the create
 * limit on `counter`, then `work`. Resolves with its URL.
 */
async function limitedServer(server: Server, counter: RateLimitCounter, work: Step) {
  const asCustomer: Step = (req, _res, next) => {
    req.caller = { kind: 'customer', customerId: 'c-1' };
    next();
  };
  const limit = routeRateLimit(
    'create',
    { perMinute: { create: 5, read: 0, cancel: 0 }, counter },
    () => '127.0.0.1',
    createLogger('silent'),
  );
  server.on(
    'request',
    runSteps([asCustomer, limit, work], () => undefined),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

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
    const answerAsAsked: Step = (req, res) => {
      res.statusCode = Number(req.headers['x-answer']);
      res.end();
    };
    server = createServer();
    url = await limitedServer(server, counter, answerAsAsked);
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

/**
 * A client that hangs up once its body is sent may still have its order stored: its hit is judged
 * by what the route's work answers when it ends, so aborting every request cannot order past the
 * limit. One gone before the work begins gets no work, and its hit back.
 */
describe('the create rate limit and a client gone while its order is being placed', () => {
  let server: Server;
  let url: URL;
  const undone: string[] = [];
  let workStarted: () => void = () => undefined;
  let finishWork: () => void = () => undefined;
  let worked = 0;
  /** When set, the count waits for it (a slow database), so the client can go first. */
  let countHeldBy: Promise<void> | undefined;
  let counting: () => void = () => undefined;

  const counter: RateLimitCounter = {
    async hit() {
      counting();
      await countHeldBy;
      return { hits: 1, resetTime: new Date(Date.now() + 60_000) };
    },
    async undo(key) {
      undone.push(key);
    },
    async reset() {},
  };

  beforeAll(async () => {
    const admission = createAdmission(10, createMetrics());
    // The order's work: held open by the test, then answered as the request asked.
    const placeOrder = admission.admitted(async (req, res) => {
      worked++;
      workStarted();
      await new Promise<void>((resolve) => {
        finishWork = resolve;
      });
      res.statusCode = Number(req.headers['x-answer']);
      res.end();
    });
    server = createServer();
    url = await limitedServer(server, counter, placeOrder);
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    undone.length = 0;
    worked = 0;
  });

  /** Sends a request and hangs up once its work has begun. */
  async function hangUpDuringWork(answer: number) {
    const started = new Promise<void>((resolve) => {
      workStarted = resolve;
    });
    const client = request(url, { method: 'POST', headers: { 'x-answer': String(answer) } });
    client.on('error', () => undefined);
    client.end();
    await started;
    client.destroy();
    await settle(); // the server sees the connection close while the work runs
    finishWork();
    await settle();
  }

  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  test('when the work stores the order after the client is gone, then the hit stays', async () => {
    await hangUpDuringWork(202);
    expect(worked).toBe(1);
    expect(undone).toEqual([]);
  });

  test('when the work refuses the order after the client is gone, then the hit is taken back once', async () => {
    await hangUpDuringWork(400);
    expect(undone).toEqual(['create:customer:c-1']);
  });

  test('when the client is gone before its work begins, then no work is done and the hit is taken back', async () => {
    let releaseCount: () => void = () => undefined;
    countHeldBy = new Promise<void>((resolve) => {
      releaseCount = resolve;
    });
    const counted = new Promise<void>((resolve) => {
      counting = resolve;
    });
    try {
      const client = request(url, { method: 'POST', headers: { 'x-answer': '202' } });
      client.on('error', () => undefined);
      client.end();
      await counted;
      client.destroy();
      await settle();
      releaseCount();
      await settle();
    } finally {
      countHeldBy = undefined;
    }
    expect(worked).toBe(0);
    expect(undone).toEqual(['create:customer:c-1']);
  });
});
