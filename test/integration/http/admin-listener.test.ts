import { networkInterfaces } from 'node:os';
import type { RunningService } from '../../../src/application';
import {
  startJoinedOrderService,
  startTestService,
  testConfig,
  type TestService,
} from '../../support/order-service-harness';

/** An address of this machine that is not loopback, if it has one. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && !entry.internal && entry.family === 'IPv4')?.address;

const reachable = async (address: string, port: number, path: string) => {
  try {
    await fetch(`http://${address}:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
};

// Without a non-loopback interface there is nothing to tell apart.
(outsideAddress ? describe : describe.skip)('the admin listener (ADMIN_HOST)', () => {
  const address = outsideAddress as string;
  let service: TestService;
  let everywhere: RunningService;
  beforeAll(async () => {
    service = await startTestService();
    everywhere = await startJoinedOrderService(
      testConfig({ DATABASE_URL: service.databaseUrl, ADMIN_HOST: '0.0.0.0' }),
    );
  });
  afterAll(async () => {
    await everywhere?.stop();
    await service?.stop();
  });

  test('when ADMIN_HOST is unset outside production, then /metrics answers on loopback only, while the API answers on every interface', async () => {
    expect(await reachable('127.0.0.1', service.service.admin.port, '/metrics')).toBe(true);
    expect(await reachable(address, service.service.admin.port, '/metrics')).toBe(false);
    expect(await reachable(address, service.service.http.port, '/health')).toBe(true);
  });

  test('when ADMIN_HOST=0.0.0.0, then /metrics answers on every interface', async () => {
    expect(await reachable(address, everywhere.admin.port, '/metrics')).toBe(true);
  });
});
