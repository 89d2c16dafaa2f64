import { randomBytes } from 'node:crypto';
import { serviceOptions, type Config } from '../../../src/config';
import type { GuardedProducer, BreakerState } from '../../../src/messaging/guarded-producer';
import { createMessaging } from '../../../src/messaging/messaging-factory';
import { capturingLogger } from '../../support/capturing-logger';
import {
  jvmBrokerUnavailableReason,
  startJvmBroker,
  type JvmBroker,
} from '../../support/kafka-jvm-broker';
import { testConfig } from '../../support/order-service-harness';
import { ensureTopics } from '../../support/service-topics';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(120_000);

const PRODUCE = 0; // Kafka's API key of a Produce request
/** The breaker's defaults (src/config/breaker.ts) over ten: the rule itself is left at its defaults. */
const SCALED = {
  BREAKER_TIMEOUT_MS: '500',
  BREAKER_RESET_TIMEOUT_MS: '1000',
  BREAKER_ROLLING_WINDOW_MS: '3000',
};
const describeWithJvm = jvmBrokerUnavailableReason() ? describe.skip : describe;

/**
 * The breaker as the service builds it from its config (createMessaging), with the default rule
 * (BREAKER_VOLUME_THRESHOLD, BREAKER_ERROR_THRESHOLD_PERCENT), against a real broker of its own
 * that the test freezes. Every byte the producer sends goes through a proxy that reads Kafka's
 * request frames, so what reaches the broker while the breaker is open is counted, not assumed.
 */
describeWithJvm('the Kafka breaker with its default rule, on a real broker', () => {
  let proxy: TcpProxy;
  let broker: JvmBroker;
  let config: Config;
  let producer: GuardedProducer;
  const transitions: Array<{ state: BreakerState; at: number }> = [];
  const topic = `t${randomBytes(4).toString('hex')}.breaker_default_rule`;

  beforeAll(async () => {
    // The proxy's target is set once the broker has its port; it advertises the proxy.
    const target = { host: '127.0.0.1', port: 0 };
    proxy = await startTcpProxy(target);
    broker = await startJvmBroker({
      listeners: { PROXIED: 'PLAINTEXT' },
      advertise: { PROXIED: `127.0.0.1:${proxy.port}` },
    });
    target.port = Number(broker.listeners.PROXIED!.split(':')[1]);
    await ensureTopics(broker.brokers, [topic]);
    config = testConfig({
      KAFKA_BROKERS: `127.0.0.1:${proxy.port}`,
      DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused', // config only: no database here
      // A timed-out send stays in flight at the broker: kafkajs does not retry it meanwhile.
      KAFKA_REQUEST_TIMEOUT_MS: '30000',
      ...SCALED,
    });
    producer = createMessaging(serviceOptions(config).messaging, capturingLogger().logger).producer;
    producer.onStateChange((state) => transitions.push({ state, at: Date.now() }));
  });
  afterAll(async () => {
    broker?.thaw();
    await producer?.disconnect().catch(() => undefined);
    await broker?.stop();
    await proxy?.stop();
  });

  const send = () =>
    producer.send([{ topic, messages: [{ key: 'order', value: Buffer.from('event') }] }]);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('when the broker freezes after a while of successful sends, then it opens after the configured failures in a row, sends nothing while open, and closes after the thaw', async () => {
    expect(config.BREAKER_VOLUME_THRESHOLD).toBe(3); // the defaults, not a test's own rule
    expect(config.BREAKER_ERROR_THRESHOLD_PERCENT).toBe(50);
    // The first send connects and fetches metadata, which may take longer than the timeout.
    await waitFor(() => send().then(() => true), { timeoutMs: 30_000, message: 'a first send' });
    for (let i = 0; i < 40; i += 1) await send();
    expect(proxy.kafkaRequestTimes(PRODUCE).length).toBeGreaterThanOrEqual(40);
    expect(producer.state()).toBe('closed');

    broker.freeze();
    let failures = 0;
    while (producer.state() === 'closed') {
      await expect(send()).rejects.toThrow(/timed out/i);
      failures += 1;
    }
    // 3 failures against 40 successes in the window: the rate alone would not open it.
    expect({ failures, state: producer.state() }).toEqual({
      failures: config.BREAKER_VOLUME_THRESHOLD,
      state: 'open',
    });

    const openedAt = Date.now();
    const bytesAtOpen = proxy.bytesFromClients();
    // Sending on while open, as a relay past its backoff would: each fails at once.
    while (producer.state() === 'open') {
      await expect(send()).rejects.toThrow(/open/i);
      await sleep(50);
    }
    const halfOpenAt = transitions.find((t) => t.state === 'half-open' && t.at >= openedAt)!.at;
    expect(halfOpenAt - openedAt).toBeGreaterThan(Number(SCALED.BREAKER_RESET_TIMEOUT_MS) - 200);
    expect(
      proxy.kafkaRequestTimes(PRODUCE).filter((at) => at >= openedAt && at < halfOpenAt),
    ).toEqual([]);
    expect(bytesAtOpen).toBeGreaterThan(0);

    broker.thaw();
    const controller = new AbortController();
    for (;;) {
      await producer.waitUntilCallable(controller.signal);
      try {
        await send();
        break;
      } catch {
        await sleep(50); // a probe that met the broker still waking: open again, wait it out
      }
    }
    expect(producer.state()).toBe('closed');
    expect(transitions.at(-1)?.state).toBe('closed');
    await send();
  });
});
