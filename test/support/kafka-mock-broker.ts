/**
 * A real Kafka wire-protocol broker for tests: librdkafka's mock cluster, started through
 * Debian's `kcat` (see /work/shared/ENVIRONMENT.md). In-memory, one broker, random port.
 *
 * What kafkajs 2.2.4 needs to know about it (measured):
 * - Topics are auto-created (4 partitions) by any metadata request, whatever
 *   `allowAutoTopicCreation` says. `admin.createTopics` and `idempotent: true` fail (controller
 *   id 0 is not a broker), so do not use them against the mock.
 * - `await consumer.run()` resolves only after the first group join + sync. A fresh group's
 *   first join takes ~3 s (the mock's fixed initial rebalance delay); a member joining a group
 *   that already has members waits ~sessionTimeout - 1 s. Use MOCK_BROKER_CONSUMER_TUNING and a
 *   unique groupId per test. With `fromBeginning: true` on a fresh topic no warm-up record or
 *   metadata call is needed: subscribe() itself creates the topic.
 * - Fault injection: freeze() (SIGSTOP) makes requests time out; thaw() (SIGCONT) and the same
 *   connections work again. Use a short `requestTimeout` and `retry` in such tests.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { ConsumerConfig } from 'kafkajs';
import { findExecutable, waitUntilStopped } from './processes';
import { brokerAnswers } from './broker-probe';
import { waitFor } from './wait-for';

export interface MockBroker {
  brokers: string[];
  pid: number;
  /** SIGSTOP, returning once all broker threads have stopped: requests now time out. */
  freeze(): void;
  /** SIGCONT: the broker answers again. */
  thaw(): void;
  /** Kills the broker (all its data is in memory) and waits for the process to exit. */
  stop(): Promise<void>;
}

export interface StartMockBrokerOptions {
  startTimeoutMs?: number;
  /** Adds `-d mock`: librdkafka then logs every request to stderr (kept only in the error tail). */
  debug?: boolean;
}

/** Consumer settings that keep group joins short on the mock; also valid on real Kafka. */
export const MOCK_BROKER_CONSUMER_TUNING = {
  sessionTimeout: 6_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 250,
} satisfies Partial<ConsumerConfig>;

const ADDRESS_PATTERN = /(?:replaced with|bootstrap\.servers=)\s*([^\s,]+:\d+)/;

export async function startMockBroker(options: StartMockBrokerOptions = {}): Promise<MockBroker> {
  const { startTimeoutMs = 10_000, debug = false } = options;
  const kcat = findExecutable('kcat');
  if (!kcat) {
    throw new Error(
      "kcat is not installed (the mock Kafka broker is librdkafka's mock cluster inside kcat). " +
        'Install it with: apt-get update && apt-get install -y kcat',
    );
  }
  const kcatArgs = ['-C', '-b', 'unused:9092', '-t', '__keepalive'];
  kcatArgs.push('-X', 'test.mock.num.brokers=1', '-E', ...(debug ? ['-d', 'mock'] : []));
  // setpriv --pdeathsig makes the kernel kill the broker if this process dies without cleanup
  // (SIGKILL, crashed jest worker), where a process 'exit' hook never runs.
  const setpriv = findExecutable('setpriv');
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'KILL', kcat, ...kcatArgs], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    : spawn(kcat, kcatArgs, { stdio: ['ignore', 'ignore', 'pipe'] });

  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  let stderrTail = '';
  const address = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mock broker printed no address within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
    // Keep draining stderr for the broker's whole life: a full pipe would block it.
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4_000);
      const match = ADDRESS_PATTERN.exec(stderrTail);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`mock broker exited early (code ${code}, signal ${signal})`));
    });
  });

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL'); // also ends a frozen (SIGSTOPped) broker
    await exited;
  };

  try {
    const broker = await address;
    await waitFor(() => brokerAnswers(broker), {
      timeoutMs: startTimeoutMs,
      message: `kafkajs describeCluster on mock broker ${broker}`,
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('mock broker has no pid');
    return {
      brokers: [broker],
      pid,
      freeze: () => {
        process.kill(pid, 'SIGSTOP');
        waitUntilStopped(pid);
      },
      thaw: () => process.kill(pid, 'SIGCONT'),
      stop,
    };
  } catch (error) {
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\nkcat stderr (tail):\n${stderrTail}`);
  }
}
