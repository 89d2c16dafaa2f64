import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DrillStack } from '../../../drills/drill-stack';
import { startLoad } from '../../../drills/load';
import { seededRandom } from '../../../drills/seeded-random';
import type { ServiceInstance } from '../../../drills/service-instance';
import { freePort } from '../../support/processes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An intake that answers every order `status` (202 with an id), and every cancellation 200. */
async function intake(status: number): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    if (status === 503) res.setHeader('retry-after', '1');
    if (req.url?.endsWith('/cancel')) res.end('{}');
    else {
      res.statusCode = status;
      res.end(JSON.stringify(status === 202 ? { id: randomUUID() } : {}));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function stackOn(url: string): DrillStack {
  const instance = { name: 'fake', url, isUp: () => true } as unknown as ServiceInstance;
  return { instances: [instance], authorization: {} } as unknown as DrillStack;
}

describe('the drills load (drills/load.ts)', () => {
  test('when intake accepts, then the orders count as accepted outside the faults, and some are cancelled', async () => {
    const { url, server } = await intake(202);
    try {
      const load = startLoad(stackOn(url), { ordersPerSecond: 100, random: seededRandom(1) });
      await sleep(1_000);
      const report = await load.stop();
      expect(report.outsideFaults.offered).toBeGreaterThan(20);
      expect(report.outsideFaults.accepted).toBe(report.outsideFaults.offered);
      expect(report.cancellations.cancelled.length).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });

  test('when intake answers 503 to everything, then nothing is accepted outside the faults', async () => {
    const { url, server } = await intake(503);
    try {
      const load = startLoad(stackOn(url), { ordersPerSecond: 100, random: seededRandom(1) });
      await sleep(500);
      const report = await load.stop();
      expect(report.outsideFaults.offered).toBeGreaterThan(10);
      expect(report.outsideFaults.accepted).toBe(0);
    } finally {
      server.close();
    }
  });

  test('when connections are refused, then only those in a window with a planned kill are excused', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`; // nothing listens there
    const load = startLoad(stackOn(closed), { ordersPerSecond: 100, random: seededRandom(1) });
    await load.fault(() => sleep(300), { instanceKilled: true });
    const excused = load.progress().answers.error ?? 0;
    expect(load.progress().unplannedRefusals).toBe(0);
    await sleep(5_500); // past the window's grace
    const report = await load.stop();
    expect(excused).toBeGreaterThan(0);
    expect(report.unplannedRefusals).toBeGreaterThan(0);
    expect(report.outsideFaults.refusedConnections).toBe(report.unplannedRefusals);
  });
});
