import type { IHeaders, Message, TopicMessages } from 'kafkajs';
import type { PendingOutboxMessage } from '../data-access/outbox-repository';
import {
  PayloadSchemaMismatchError,
  UnknownTopicError,
  type EventEncoder,
} from '../messaging/event-encoder';
import { physicalTopic } from '../messaging/topics';
import { traceHeaders } from '../shared/trace-context';

export interface EncodedBatch {
  topicMessages: TopicMessages[];
  /** The rows in `topicMessages`. */
  sendable: string[];
  /** Rows that can never be encoded as they are, with the reason. */
  unencodable: Array<{ row: PendingOutboxMessage; reason: string }>;
}

/**
 * Encodes outbox rows into Kafka messages, in id order, and remembers the orders with a row that
 * cannot be encoded (a bug: a payload that does not fit its schema, or a topic this version has
 * no schema for). Those orders send nothing after that row, are left out of every later claim
 * so they never block other orders, and are tried again after a restart (once a fix is
 * deployed). A registry outage fails the whole batch instead (it is retried).
 */
export function createBatchEncoder(encoder: EventEncoder, topicPrefix: string) {
  const held = new Set<string>();

  async function encodeBatch(rows: PendingOutboxMessage[]): Promise<EncodedBatch> {
    const messagesByTopic = new Map<string, Message[]>();
    const sendable: string[] = [];
    const unencodable: EncodedBatch['unencodable'] = [];
    const pending = rows.filter((row) => !held.has(row.orderId));
    // No row to send, no registry: an empty claim must not fail while the registry is down.
    if (pending.length === 0) return { topicMessages: [], sendable, unencodable };
    const encode = await encoder.forTopics(pending.map((row) => row.topic));
    for (const row of pending) {
      // A row before it in this batch may have held its order back.
      if (held.has(row.orderId)) continue;
      let value: Buffer;
      try {
        value = encode(row.topic, row.payload);
      } catch (error) {
        if (!(error instanceof PayloadSchemaMismatchError || error instanceof UnknownTopicError)) {
          throw error;
        }
        unencodable.push({ row, reason: error.message });
        held.add(row.orderId);
        continue;
      }
      const topic = physicalTopic(topicPrefix, row.topic);
      const headers: IHeaders = {
        ...row.headers,
        ...traceHeaders(row.traceparent),
        'event-id': row.eventId,
        'event-type': row.topic,
      };
      let messages = messagesByTopic.get(topic);
      if (!messages) messagesByTopic.set(topic, (messages = []));
      messages.push({ key: row.key, value, headers });
      sendable.push(row.id);
    }
    const topicMessages = [...messagesByTopic].map(([topic, messages]) => ({ topic, messages }));
    return { topicMessages, sendable, unencodable };
  }

  return Object.assign(encodeBatch, { heldOrders: () => [...held] });
}
