import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import {
  boundedConcurrency,
  consoleGate,
} from '../../../../src/entry-points/console/console-concurrency';
import { problemDetailsHandler } from '../../../../src/entry-points/http/problem-details';
import { createLogger } from '../../../../src/shared/logger';
import { waitFor } from '../../../support/wait-for';

/**
 * The console's concurrency gate over real HTTP, one place wide: a caller that hangs up while it
 * waits must not keep its place once its turn comes, or the console answers nobody again.
 */
describe('the console gate: a caller gone while queued frees its place', () => {
  let server: Server;
  let url: string;
  const gate = consoleGate(1);
  let releaseSlow: () => void = () => undefined;

  beforeAll(async () => {
    const app = express();
    app.use(boundedConcurrency(gate));
    app.get('/slow', (_req, res) => {
      new Promise<void>((resolve) => (releaseSlow = resolve)).then(() => res.send('slow'));
    });
    app.get('/quick', (_req, res) => res.send('quick'));
    app.use(problemDetailsHandler(createLogger('silent')));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const connections = () =>
    new Promise<number>((resolve, reject) =>
      server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );

  it('when a queued caller hangs up and its turn comes, then the next caller is still answered', async () => {
    const slow = fetch(`${url}/slow`);
    await waitFor(async () => gate.load().running === 1, {
      message: 'the slow call holds the place',
    });
    const leaving = new AbortController();
    const gone = fetch(`${url}/quick`, { signal: leaving.signal }).catch(() => 'aborted');
    await waitFor(async () => gate.load().waiting === 1, { message: 'the second call queued' });
    leaving.abort();
    expect(await gone).toBe('aborted');
    // The server has seen it hang up: only the slow call's connection is left.
    await waitFor(async () => (await connections()) === 1, { message: 'the hang-up seen' });

    releaseSlow();
    expect(await (await slow).text()).toBe('slow');
    const next = await fetch(`${url}/quick`, { signal: AbortSignal.timeout(5_000) });

    expect(await next.text()).toBe('quick');
    await waitFor(async () => gate.load().running === 0, { message: 'every place given back' });
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });
});
