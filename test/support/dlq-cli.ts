import { execFile } from 'node:child_process';
import path from 'node:path';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { createDeadLetterPublisher } from '../../src/messaging/dead-letter-publisher';
import { sharedKafkaStack } from './kafka-stack';
import { ensureTopics } from './service-topics';
import { deadLetterTopic } from '../../src/messaging/topics';
import { createGuardedProducer } from '../../src/messaging/guarded-producer';
import { createLogger } from '../../src/shared/logger';
import { createMetrics } from '../../src/shared/metrics';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CLI = path.join(ROOT, 'src/entry-points/cli/dlq.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DlqCliEnv {
  DATABASE_URL?: string;
  KAFKA_BROKERS?: string;
  SCHEMA_REGISTRY_URL?: string;
  KAFKA_TOPIC_PREFIX?: string;
  /** TLS, SASL and registry credentials, as for the service. */
  [key: string]: string | undefined;
}

/** The actor the tests' replays and skips are audited under, unless a test sets its own. */
export const TEST_DLQ_ACTOR = 'test-operator';

/**
 * Runs `order-dlq` through its real entry point with only the given environment (so it cannot
 * lean on anything else the test process has; DLQ_ACTOR is TEST_DLQ_ACTOR unless given, and an
 * explicit undefined leaves it unset). A run still going after `timeoutMs` is killed
 * and reported as code -1, which fails any assertion on the exit code.
 */
export function runDlqCli(args: string[], env: DlqCliEnv, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [CLI, ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DLQ_ACTOR: TEST_DLQ_ACTOR,
          ...env,
        },
        timeout: timeoutMs,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export const nonEmptyLines = (text: string) => text.split('\n').filter((line) => line.trim());

/** What the saga consumer had read when the record failed. */
export interface OriginalRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers?: Record<string, string>;
  timestamp?: string;
}

export interface DeadLetterFixture {
  /** Dead-letters a record exactly as the service does (same publisher, same producer). */
  deadLetter(original: OriginalRecord, error: unknown, attempts?: number): Promise<void>;
  stop(): Promise<void>;
}

export const FIXTURE_CONSUMER_GROUP = 'order-service-saga';
export const FIXTURE_SERVICE_VERSION = '9.9.9-test';

export async function startDeadLetterFixture(brokers: string[]): Promise<DeadLetterFixture> {
  const kafka = new Kafka({ clientId: 'test-dlq-fixture', brokers, logLevel: logLevel.NOTHING });
  const logger = createLogger('silent');
  const producer = createGuardedProducer(
    kafka,
    {
      timeoutMs: 10_000,
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      resetTimeoutMs: 1_000,
      rollingCountTimeoutMs: 10_000,
      idempotent: sharedKafkaStack().flavour === 'real',
    },
    logger,
  );
  const publisher = createDeadLetterPublisher(producer, {
    serviceVersion: FIXTURE_SERVICE_VERSION,
    metrics: createMetrics(),
    logger,
  });
  const created = new Set<string>();
  return {
    async deadLetter(original, error, attempts = 1) {
      if (!created.has(original.topic)) {
        // The original topic too: a replay writes back to it.
        await ensureTopics(brokers, [original.topic, deadLetterTopic(original.topic)]);
        created.add(original.topic);
      }
      const message: KafkaMessage = {
        key: original.key === null ? null : Buffer.from(original.key),
        value: original.value,
        headers: original.headers ?? {},
        offset: original.offset,
        timestamp: original.timestamp ?? String(Date.now()),
        attributes: 0,
      };
      await publisher.publish(
        {
          topic: original.topic,
          partition: original.partition,
          message,
          error,
          attempts,
          firstFailedAt: new Date(),
        },
        FIXTURE_CONSUMER_GROUP,
      );
    },
    stop: () => producer.disconnect(),
  };
}
