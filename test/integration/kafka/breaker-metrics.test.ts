import { randomBytes } from 'node:crypto';
import { createKafka } from '../../../src/messaging/kafka-client-factory';
import {
  createGuardedProducer,
  type GuardedProducer,
} from '../../../src/messaging/guarded-producer';
import { observeBreaker } from '../../../src/observability/service-metrics';
import { createLogger } from '../../../src/shared/logger';
import { createMetrics, type Metrics } from '../../../src/shared/metrics';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { parseMetrics, valueOf } from '../../support/metrics-scrape';
import { ensureTopics } from '../../support/service-topics';
import { waitFor } from '../../support/wait-for';

// The mock cluster creates any topic it is asked about, so a send there never fails.
const describeOnRealKafka = process.env.TEST_KAFKA_FLAVOUR === 'mock' ? describe.skip : describe;

describeOnRealKafka('breaker metrics: state gauge and transitions follow opossum', () => {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const existing = `${prefix}breaker_ok`;
  const missing = `${prefix}never_created`; // auto-creation is off: sends to it time out
  let metrics: Metrics;
  let producer: GuardedProducer;

  const brokers = () => sharedKafkaStack().brokers.split(',');

  beforeAll(() => ensureTopics(brokers(), [existing]));
  // A breaker and a registry of each test's own, so that each starts closed with nothing counted.
  beforeEach(() => {
    const kafka = createKafka({
      clientId: 'breaker-metrics-test',
      brokers: brokers(),
      requestTimeoutMs: 3_000,
      logger: createLogger('silent'),
    });
    producer = createGuardedProducer(
      kafka,
      {
        timeoutMs: 3_000,
        errorThresholdPercentage: 10, // opossum opens above it: one failure in two sends
        volumeThreshold: 1,
        resetTimeoutMs: 500,
        rollingCountTimeoutMs: 60_000,
        idempotent: true,
      },
      createLogger('silent'),
    );
    metrics = createMetrics();
    observeBreaker(metrics, producer);
  });
  afterEach(async () => {
    await producer.disconnect();
  });

  const scrape = async () => parseMetrics(await metrics.registry.metrics());
  const gauge = async (state: string) =>
    valueOf(await scrape(), 'kafka_producer_breaker_state', { state });
  const transitions = async (to: string) =>
    valueOf(await scrape(), 'kafka_producer_breaker_transitions_total', { to });
  const send = (topic: string) =>
    producer.send([{ topic, messages: [{ key: 'k', value: Buffer.from('v') }] }]);

  test('when sends succeed, then the gauge says closed and no transition is counted', async () => {
    await send(existing);
    expect(await gauge('closed')).toBe(1);
    expect(await gauge('open')).toBe(0);
    expect(await transitions('open')).toBe(0);
  });

  test('when a send fails, then the gauge says open and one opening is counted', async () => {
    await expect(send(missing)).rejects.toThrow();
    expect(await gauge('open')).toBe(1);
    expect(await gauge('closed')).toBe(0);
    expect(await transitions('open')).toBe(1);
  });

  test('when the reset timeout passes and a probe succeeds, then half-open and closed are counted in turn', async () => {
    await expect(send(missing)).rejects.toThrow();
    await waitFor(async () => (await gauge('half-open')) === 1, {
      message: 'the breaker half-open',
    });
    expect(await transitions('half-open')).toBe(1);
    await send(existing);
    expect(await gauge('closed')).toBe(1);
    expect(await transitions('closed')).toBe(1);
  });
});
