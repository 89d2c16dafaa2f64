/**
 * The Kafka broker a test run, the demo or the bench starts for itself when KAFKA_BROKERS is not
 * given: a real Apache Kafka broker in a local JVM where `java` and `mvn` are present, else
 * librdkafka's mock cluster through `kcat` as the fallback.
 */
import { jvmBrokerUnavailableReason, startJvmBroker, type JvmBroker } from './kafka-jvm-broker';
import { startMockBroker } from './kafka-mock-broker';
import { findExecutable } from './processes';

export type BrokerKind = 'jvm' | 'mock';

export interface TestBroker {
  kind: BrokerKind;
  brokers: string[];
  /** For the set-up line, e.g. `Apache Kafka 3.9.1 (KRaft, local JVM)`. */
  description: string;
  /** SIGSTOP, returning once every broker thread has stopped: requests now time out. */
  freeze(): void;
  /** SIGCONT: the broker answers again on the same connections. */
  thaw(): void;
  /** SIGKILL and start again on the same port (the JVM broker; the mock keeps nothing to restart). */
  restartable?: Pick<JvmBroker, 'kill' | 'start'>;
  stop(): Promise<void>;
}

/** What a machine without either broker must install, in one line. */
export const NO_BROKER_HINT =
  'No Kafka broker: install Java 17+ and Maven (real Apache Kafka, preferred) or kcat ' +
  '(apt-get install -y kcat, a mock cluster), or set KAFKA_BROKERS';

/**
 * The JVM broker if this machine can run it, else the kcat mock, else one line to act on.
 * TEST_KAFKA_BROKER=mock picks the mock even where Java runs (to try the fallback).
 */
export async function startTestBroker(): Promise<TestBroker> {
  if (process.env.TEST_KAFKA_BROKER !== 'mock' && !jvmBrokerUnavailableReason()) {
    const broker = await startJvmBroker();
    return {
      kind: 'jvm',
      description: `${broker.version} (KRaft, local JVM)`,
      ...pick(broker),
      restartable: { kill: () => broker.kill(), start: (options) => broker.start(options) },
    };
  }
  if (findExecutable('kcat')) {
    const broker = await startMockBroker();
    return { kind: 'mock', description: "librdkafka's mock cluster (kcat)", ...pick(broker) };
  }
  throw new Error(NO_BROKER_HINT);
}

function pick(broker: Omit<TestBroker, 'kind' | 'description'>) {
  return {
    brokers: broker.brokers,
    freeze: () => broker.freeze(),
    thaw: () => broker.thaw(),
    stop: () => broker.stop(),
  };
}
