import { randomUUID } from 'node:crypto';
import { COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import type { Consumer, EachBatchPayload, KafkaMessage, Message, Producer } from 'kafkajs';
import { createKafka, producerSettings } from '../../src/messaging/kafka-client-factory';
import { readConfluentFrame } from '../../src/messaging/confluent-frame';
import { createRegistryClient } from '../../src/messaging/schema-registry-client';
import { loadAvroSchema } from '../../src/messaging/avro-schemas';
import { physicalTopic, subjectFor, type SagaTopic } from '../../src/messaging/topics';
import type { Logger } from '../../src/shared/logger';
import { sleep } from '../../src/shared/retry';
import { replyDelayMs, type OutcomeSettings } from './simulator-rules';

/** Consumer group timings; the mock broker wants short ones (MOCK_BROKER_CONSUMER_TUNING). */
export interface ConsumerTuning {
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxWaitTimeInMs?: number;
}

export interface PeerConnection {
  brokers: string[];
  registryUrl: string;
  topicPrefix: string;
  groupId: string;
  consumer?: ConsumerTuning;
  logger: Logger;
  /** A draw from [0, 1); Math.random unless a test pins it. */
  random?: () => number;
  /**
   * Told of each effect as the peer takes it: a request seen for the first time (by event id)
   * and what was decided. A redelivered request takes no new effect and is not reported. The
   * drills build their invariant check from these records (a peer's own books).
   */
  onEffect?: (effect: PeerEffect) => void;
}

/** One request the peer acted on, and its reply (null: left unanswered). */
export interface PeerEffect {
  requestTopic: SagaTopic;
  request: Record<string, unknown>;
  reply: { topic: SagaTopic; payload: Record<string, unknown> } | null;
}

/** What a peer answers to one request: a reply (eventId and occurredAt are added) or nothing. */
export type PeerReply = { topic: SagaTopic; fields: Record<string, unknown> } | null;

export interface PeerBehaviour {
  name: string;
  consumes: readonly SagaTopic[];
  replies: readonly SagaTopic[];
  settings: OutcomeSettings;
  answer(topic: SagaTopic, request: Record<string, unknown>, random: () => number): PeerReply;
}

export interface PeerSimulator {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Requests remembered, so a redelivered request gets the very same reply (same eventId). */
const MAX_REMEMBERED = 10_000;

/**
 * The plumbing both simulated peers share: registers their reply schemas (BACKWARD, under
 * `<prefix><topic>-value`), consumes their request topics in a group of their own, decodes
 * through the registry, and replies as Confluent-framed Avro keyed by order id, after the
 * configured latency. Offsets are committed after the reply is sent (at-least-once).
 * Replies go out a fetched batch at a time, so instant peers keep up with a loaded service.
 */
export function createPeerSimulator(
  connection: PeerConnection,
  behaviour: PeerBehaviour,
): PeerSimulator {
  const { topicPrefix, logger } = connection;
  const random = connection.random ?? Math.random;
  const kafka = createKafka({
    clientId: `${behaviour.name}-simulator`,
    brokers: connection.brokers,
    requestTimeoutMs: 5_000,
    logger,
  });
  const registryClient = createRegistryClient({ url: connection.registryUrl, retries: 2 });
  const { registry } = registryClient;
  const schemaIds = new Map<SagaTopic, number>();
  const answered = new Map<string, { topic: SagaTopic; payload: Record<string, unknown> } | null>();
  const byPhysical = new Map(behaviour.consumes.map((t) => [physicalTopic(topicPrefix, t), t]));
  const stopping = new AbortController();
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;

  /**
   * The reply to one request, encoded and ready to send, or null. A request with a latency to
   * simulate first flushes the replies already decided, so latency is never added to theirs.
   */
  async function answerOf(
    physical: string,
    message: KafkaMessage,
    flush: () => Promise<void>,
  ): Promise<{ topic: string; message: Message } | null> {
    const topic = byPhysical.get(physical) as SagaTopic;
    if (!message.value || !readConfluentFrame(message.value)) {
      logger.warn('request that is not Confluent-framed Avro skipped', { topic });
      return null;
    }
    // A registry outage throws here: kafkajs retries the batch from the last resolved offset.
    const request = (await registry.decode(message.value)) as Record<string, unknown>;
    const requestId = String(request.eventId);
    let reply = answered.get(requestId);
    if (reply === undefined) {
      const decided = behaviour.answer(topic, request, random);
      reply = decided && {
        topic: decided.topic,
        payload: { eventId: randomUUID(), ...decided.fields, occurredAt: Date.now() },
      };
      if (answered.size >= MAX_REMEMBERED) answered.delete(answered.keys().next().value as string);
      answered.set(requestId, reply);
      connection.onEffect?.({ requestTopic: topic, request, reply });
      const delayMs = replyDelayMs(behaviour.settings, random());
      if (delayMs > 0) {
        await flush();
        // A stop cuts the latency short rather than losing the reply.
        await sleep(delayMs, stopping.signal);
      }
    }
    if (!reply) return null;
    const { topic: replyTopic, payload } = reply;
    logger.debug('reply ready', { request: topic, reply: replyTopic, orderId: payload.orderId });
    return {
      topic: physicalTopic(topicPrefix, replyTopic),
      message: {
        key: String(payload.orderId),
        value: await registry.encode(schemaIds.get(replyTopic) as number, payload),
        headers: {
          'event-id': String(payload.eventId),
          'event-type': replyTopic,
          // As an instrumented peer would: the reply continues the request's trace (W3C).
          ...traceHeadersOf(message),
        },
      },
    };
  }

  /**
   * A fetched batch answered in order, its replies sent together (one request per broker, so
   * they keep their order), and its offsets resolved only once their replies are acknowledged.
   */
  async function answerBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const ready: { topic: string; message: Message }[] = [];
    let answeredUpTo: string | undefined;
    const flush = async () => {
      if (ready.length > 0) {
        const byTopic = new Map<string, Message[]>();
        for (const { topic, message } of ready.splice(0)) {
          const messages = byTopic.get(topic) ?? [];
          messages.push(message);
          byTopic.set(topic, messages);
        }
        await producer?.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      }
      if (answeredUpTo !== undefined) resolveOffset(answeredUpTo);
      await heartbeat();
    };
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const reply = await answerOf(batch.topic, message, flush);
      if (reply) ready.push(reply);
      answeredUpTo = message.offset;
    }
    await flush();
  }

  return {
    async start() {
      for (const topic of behaviour.replies) {
        const subject = subjectFor(topicPrefix, topic);
        const id = await registryClient.register(
          subject,
          loadAvroSchema(topic),
          COMPATIBILITY.BACKWARD,
        );
        schemaIds.set(topic, id);
      }
      producer = kafka.producer(producerSettings(false));
      await producer.connect();
      const tuning = connection.consumer ?? {};
      consumer = kafka.consumer({
        groupId: connection.groupId,
        sessionTimeout: tuning.sessionTimeoutMs,
        heartbeatInterval: tuning.heartbeatIntervalMs,
        maxWaitTimeInMs: tuning.maxWaitTimeInMs ?? 500,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [...byPhysical.keys()], fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: 4,
        eachBatchAutoResolve: false,
        eachBatch: answerBatch,
      });
      logger.info(`${behaviour.name} simulator running`, { groupId: connection.groupId });
    },
    async stop() {
      stopping.abort();
      await consumer?.disconnect();
      await producer?.disconnect();
    },
  };
}

/** The W3C trace context headers of a request, to be carried on by its reply. */
function traceHeadersOf(message: KafkaMessage): Record<string, string> {
  const carried: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = message.headers?.[name];
    if (value !== undefined) carried[name] = value.toString();
  }
  return carried;
}
