import { freshDatabase } from '../../support/fixtures/fresh-database';
import { ownBroker } from '../../support/fixtures/own-broker';
import {
  aValidOrder,
  postOrder,
  readJson,
  sharedStackEnv,
} from '../../support/order-service-harness';
import { spawnService, type ServiceProcess } from '../../support/service-process';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(180_000);

const DEADLINE_MS = 3_000;
/** How long past the deadline the process may take to write its line and exit (a loaded CI). */
const MARGIN_MS = 1_500;

/**
 * SIGTERM, resolving with the exit code and how long the process took to exit; one still running
 * well past the deadline is killed (code null), so a broken deadline fails fast instead of hanging.
 */
async function timedTerminate(
  service: ServiceProcess,
): Promise<{ code: number | null; ms: number }> {
  const started = performance.now();
  const killer = setTimeout(() => void service.kill(), DEADLINE_MS + 10_000);
  try {
    const code = await service.terminate();
    return { code, ms: performance.now() - started };
  } finally {
    clearTimeout(killer);
  }
}

const incompleteLines = (output: string) =>
  output.split('\n').filter((line) => line.includes('shutdown incomplete'));

const broker = ownBroker();
const database = freshDatabase();

/**
 * SHUTDOWN_TIMEOUT_MS on the real process (src/start.ts), against a broker of this file's own
 * that the test freezes (SIGSTOP), and an OTLP collector that accepts and never answers.
 */
describe('the shutdown deadline of the service process', () => {
  let env: Record<string, string>;
  let service: ServiceProcess | undefined;
  let silentCollector: TcpProxy | undefined;

  beforeAll(async () => {
    env = {
      ...sharedStackEnv(),
      KAFKA_BROKERS: broker.brokers.join(','),
      DATABASE_URL: database.url,
      SHUTDOWN_TIMEOUT_MS: String(DEADLINE_MS),
      // A send to the frozen broker stays in flight past the deadline instead of failing first.
      BREAKER_TIMEOUT_MS: '60000',
      KAFKA_REQUEST_TIMEOUT_MS: '60000',
      BREAKER_ROLLING_WINDOW_MS: '600000', // the config's rule: the window holds the timeouts
    };
  }, 120_000);
  afterEach(async () => {
    broker.thaw();
    await service?.kill();
    service = undefined;
    await silentCollector?.stop();
    silentCollector = undefined;
  });

  /** The service, consuming and publishing: one order posted and its request on the topic. */
  async function startPublishing(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const started = await spawnService({ ...env, ...extraEnv });
    service = started;
    await waitFor(async () => (await fetch(`${started.adminUrl}/ready`)).ok, {
      timeoutMs: 60_000,
      message: 'the service ready',
    });
    const response = await postOrder(started.url, aValidOrder());
    expect(response.status).toBe(202);
    // Consuming, and its order's event acknowledged by the broker: the parts are all at work.
    await waitFor(
      async () => {
        const ready = (await readJson(await fetch(`${started.adminUrl}/ready`))) as {
          sagaConsumer?: string;
        };
        const { rows } = await database.sql.query(
          'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL',
        );
        return JSON.stringify(ready).includes('"running"') && rows[0].n > 0;
      },
      { timeoutMs: 60_000, message: 'the consumer running and the first event published' },
    );
    return started;
  }

  test('when nothing hangs, then SIGTERM ends it with exit 0 within the deadline', async () => {
    const running = await startPublishing();

    const { code, ms } = await timedTerminate(running);

    expect({ code, incomplete: incompleteLines(running.output()) }).toEqual({
      code: 0,
      incomplete: [],
    });
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(running.output()).toContain('stopped cleanly');
  });

  test('when the broker is frozen with a send in flight, then SIGTERM ends it with exit 1 at the deadline, and one line names what still ran', async () => {
    const running = await startPublishing();
    broker.freeze();
    // Written while frozen: the relay's send to the frozen broker is in flight at SIGTERM.
    expect((await postOrder(running.url, aValidOrder())).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const { code, ms } = await timedTerminate(running);

    expect(code).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 100);
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    const lines = incompleteLines(running.output());
    expect(lines).toHaveLength(1);
    // Which parts still wait on the frozen broker varies (the consumer's fetch, the relay's
    // send, the lag sampler's offsets request); that one line names them is what counts.
    expect(lines[0]).toMatch(new RegExp(`still running after ${DEADLINE_MS} ms: \\w`));
    expect(running.output()).not.toContain('stopped cleanly');
  });

  test('when the trace collector never answers, then flushing the traces is held to the deadline too: exit 1 naming tracing', async () => {
    silentCollector = await startTcpProxy({ host: '127.0.0.1', port: 9 });
    silentCollector.cut('blackhole'); // accepts connections, never answers
    const running = await startPublishing({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${silentCollector.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '60000', // the spans stay buffered until the shutdown flush
    });

    const { code, ms } = await timedTerminate(running);

    expect(code).toBe(1);
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    const lines = incompleteLines(running.output());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`still running after ${DEADLINE_MS} ms: tracing`));
  });
});
