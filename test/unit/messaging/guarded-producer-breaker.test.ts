import type { Kafka } from 'kafkajs';
import { createGuardedProducer } from '../../../src/messaging/guarded-producer';
import { capturingLogger } from '../../support/capturing-logger';

/**
 * A stand-in for kafkajs' producer whose sends succeed until the "broker" hangs, then never
 * settle, as against a SIGSTOPped broker. The real broker version of this is the broker-hang
 * drill (`npm run drills`); here the breaker's rule itself is pinned, in milliseconds.
 */
function hangableKafka() {
  let hung = false;
  let calls = 0;
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    sendBatch: () => {
      calls += 1;
      return hung ? new Promise<never>(() => undefined) : Promise.resolve([]);
    },
  };
  const kafka = { producer: () => producer } as unknown as Kafka;
  return {
    kafka,
    hang: (yes = true) => {
      hung = yes;
    },
    calls: () => calls,
  };
}

const options = {
  idempotent: true,
  timeoutMs: 50,
  errorThresholdPercentage: 50,
  volumeThreshold: 3,
  resetTimeoutMs: 60_000,
  rollingCountTimeoutMs: 60_000,
};

describe('the Kafka producer breaker', () => {
  test('when the broker hangs after a window full of successful sends, then three timed-out sends in a row open it, and it makes no call while open', async () => {
    const broker = hangableKafka();
    const { logger, entries } = capturingLogger();
    const producer = createGuardedProducer(broker.kafka, options, logger);
    for (let i = 0; i < 50; i += 1) await producer.send([]);
    broker.hang();

    for (let i = 0; i < 3; i += 1) {
      await expect(producer.send([])).rejects.toThrow(/Timed out/);
    }

    // 3 failures against 50 successes is a 6 % failure rate: the rate rule alone stays closed.
    expect(producer.state()).toBe('open');
    expect(entries.map((entry) => entry.message)).toContain(
      'circuit breaker opened: Kafka sends paused',
    );
    const callsWhenOpened = broker.calls();
    await expect(producer.send([])).rejects.toThrow(/open/i);
    expect(broker.calls()).toBe(callsWhenOpened);
    await producer.disconnect();
  });

  test('when failures are interleaved with successes, then runs shorter than the threshold do not open it', async () => {
    const broker = hangableKafka();
    const producer = createGuardedProducer(broker.kafka, options, capturingLogger().logger);
    for (let i = 0; i < 50; i += 1) await producer.send([]);
    const failTwice = async () => {
      broker.hang();
      for (let i = 0; i < 2; i += 1) await expect(producer.send([])).rejects.toThrow(/Timed out/);
      broker.hang(false);
    };

    await failTwice();
    await producer.send([]);
    await failTwice();

    expect(producer.state()).toBe('closed');
    await producer.disconnect();
  });
});
