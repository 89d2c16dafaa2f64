import type { Admin } from 'kafkajs';
import { withCode } from '../shared/app-error';

/**
 * Topics the service needs and the broker does not have. Retriable: an operator may create
 * them while the service waits (the consumer checks again before each join).
 */
export class TopicsMissingError extends withCode('kafka-topics-missing', { retriable: true }) {}

/**
 * The broker refused, for good, to create or describe the service's topics (a replication
 * factor above its broker count, topic authorization denied): retrying cannot help, an
 * operator must change the configuration or the ACLs. Start-up stops with this one line.
 */
export class TopicsRefusedError extends withCode('kafka-topics-refused') {}

/** Error types for which asking again cannot succeed without an operator's change. */
const REFUSED_FOR_GOOD = new Set([
  'INVALID_REPLICATION_FACTOR',
  'INVALID_PARTITIONS',
  'INVALID_CONFIG',
  'INVALID_TOPIC_EXCEPTION',
  'POLICY_VIOLATION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);

const WHAT_TO_DO: Record<string, string> = {
  TOPIC_AUTHORIZATION_FAILED:
    "grant this service's principal DESCRIBE, READ and WRITE on its topics (and CREATE with KAFKA_CREATE_TOPICS=true)",
  CLUSTER_AUTHORIZATION_FAILED:
    "grant this service's principal CREATE on the cluster, or create the topics and set KAFKA_CREATE_TOPICS=false",
};

interface TopicError {
  topic?: string;
  type?: string;
  message: string;
}

/** The per-topic errors in a kafkajs error: KafkaJSAggregateError.errors, or the error itself. */
function topicErrors(error: unknown): TopicError[] {
  const errors: TopicError[] = [];
  const visit = (value: unknown): void => {
    if (!(value instanceof Error)) return;
    const nested = (value as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.length > 0) return nested.forEach(visit);
    const { topic, type } = value as { topic?: string; type?: string };
    if (type) errors.push({ topic, type, message: value.message });
    else visit(value.cause);
  };
  visit(error);
  return errors;
}

/** `Topic creation errors: t1 INVALID_X (message), ...`: kafkajs' aggregate error with its parts. */
export function withTopicErrors(error: unknown): string {
  const parts = topicErrors(error).map((e) => `${e.topic ?? ''} ${e.type} (${e.message})`.trim());
  const message = error instanceof Error ? error.message : String(error);
  return parts.length > 0 ? `${message}: ${parts.join(', ')}` : message;
}

export interface RefusalContext {
  /** What was asked: `create` or `describe`. */
  action: 'create' | 'describe';
  topics: readonly string[];
  replicationFactor?: number;
  /** How many brokers the cluster has, where known. */
  brokerCount?: number;
}

/**
 * The broker's reason in one line when every per-topic error in `error` is one retrying cannot
 * fix, else undefined (an outage, a leader election: the caller retries).
 */
export function refusedForGood(
  error: unknown,
  context: RefusalContext,
): TopicsRefusedError | undefined {
  const errors = topicErrors(error);
  if (errors.length === 0 || !errors.every((e) => REFUSED_FOR_GOOD.has(e.type ?? ''))) {
    return undefined;
  }
  const byType = new Map<string, TopicError[]>();
  for (const e of errors)
    byType.set(e.type as string, [...(byType.get(e.type as string) ?? []), e]);
  const parts = [...byType].map(([type, list]) => {
    const topics = list.map((e) => e.topic).filter(Boolean);
    const named = topics.length > 0 ? ` for ${describeTopics(topics as string[])}` : '';
    return `${type} (${list[0]?.message})${named}: ${whatToDo(type, context)}`;
  });
  return new TopicsRefusedError(
    `Kafka refused to ${context.action} the service's topics: ${parts.join('; ')}`,
    { cause: error },
  );
}

function whatToDo(type: string, { replicationFactor, brokerCount }: RefusalContext): string {
  if (type === 'INVALID_REPLICATION_FACTOR') {
    const brokers =
      brokerCount === undefined ? '' : ` but the cluster has ${brokerCount} broker(s)`;
    return (
      `KAFKA_REPLICATION_FACTOR=${replicationFactor ?? '?'}${brokers}; ` +
      `set it to at most ${brokerCount ?? 'the broker count'}`
    );
  }
  return (
    WHAT_TO_DO[type] ?? 'fix the topic settings (KAFKA_TOPIC_PARTITIONS, KAFKA_REPLICATION_FACTOR)'
  );
}

/** `a, b, c` or `a, b and 14 more`: a line stays readable with 17 topics. */
export function describeTopics(topics: readonly string[], shown = 5): string {
  if (topics.length <= shown) return topics.join(', ');
  return `${topics.slice(0, shown).join(', ')} and ${topics.length - shown} more`;
}

/**
 * The topics of `topics` the broker does not have. A broker that creates topics on first use
 * (auto.create.topics.enable, librdkafka's mock) creates them on the metadata request here, so
 * only topics it cannot or will not create are reported.
 */
export async function missingTopics(admin: Admin, topics: readonly string[]): Promise<string[]> {
  const absent = await notListed(admin, topics);
  if (absent.length === 0) return [];
  await admin.fetchTopicMetadata({ topics: absent }).catch((error: unknown) => {
    // Hidden from listTopics and refused here: not missing, denied.
    if (refusedForGood(error, { action: 'describe', topics: absent })) throw error;
  });
  return notListed(admin, absent);
}

async function notListed(admin: Admin, topics: readonly string[]): Promise<string[]> {
  const listed = new Set(await admin.listTopics());
  return topics.filter((topic) => !listed.has(topic));
}

/** Throws TopicsMissingError naming the missing topics, or TopicsRefusedError when denied. */
export async function requireTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  let missing: string[];
  try {
    missing = await missingTopics(admin, topics);
  } catch (error) {
    throw refusedForGood(error, { action: 'describe', topics }) ?? error;
  }
  if (missing.length > 0) {
    throw new TopicsMissingError(
      `Kafka topics missing: ${describeTopics(missing)}; create them (docs: operations) ` +
        'or set KAFKA_CREATE_TOPICS=true',
      { details: { missing } },
    );
  }
}
