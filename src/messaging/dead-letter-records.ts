import { randomBytes } from 'node:crypto';
import type { Admin, IHeaders, Kafka } from 'kafkajs';
import { INDEXED_VALUE_LIMIT, type DeadLetterEntry } from '../domain/dead-letter-index';
import { AppError } from '../shared/app-error';
import { DLQ_HEADERS } from './dead-letter-headers';
import { DLQ_SUFFIX } from './topics';

/**
 * A dead-lettered record as stored: bytes and headers untouched, for show and replay alike.
 * Read by the DLQ tool and the console (whose index keeps the same bytes).
 */
export interface DeadLetterRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** A header as text (the first value if it was repeated). */
export function headerText(headers: IHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export function headersAsText(headers: IHeaders): Record<string, string> {
  const text: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headerText(headers, name);
    if (value !== undefined) text[name] = value;
  }
  return text;
}

/** Why the record is a stub (its value is only the first bytes of the original), or undefined. */
export function stubReasonOf(record: DeadLetterRecord): string | undefined {
  return headerText(record.headers, DLQ_HEADERS.stub);
}

/** Where the record came from: its header, else the DLQ topic's name without `_dlq`. */
export function originalTopicOf(record: DeadLetterRecord): string {
  return (
    headerText(record.headers, DLQ_HEADERS.originalTopic) ??
    record.topic.slice(0, -DLQ_SUFFIX.length)
  );
}

const asBuffer = (value: Buffer | string) =>
  typeof value === 'string' ? Buffer.from(value) : value;

const integerOrNull = (text: string | undefined) =>
  text !== undefined && /^\d+$/.test(text) ? text : null;

/** What the console's index keeps of a dead-letter record. */
export function deadLetterEntryOf(record: DeadLetterRecord): DeadLetterEntry {
  const header = (name: string) => headerText(record.headers, name);
  const originalTopic = originalTopicOf(record);
  const errorClass = header(DLQ_HEADERS.errorClass) ?? 'unknown';
  const errorMessage = header(DLQ_HEADERS.errorMessage) ?? '';
  const failedAt = Date.parse(header(DLQ_HEADERS.lastFailureAt) ?? '');
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (value === undefined) continue;
    headers[name] = (Array.isArray(value) ? value : [value]).map((item) =>
      asBuffer(item).toString('base64'),
    );
  }
  const valueBytes = record.value?.length ?? 0;
  const originalPartition = integerOrNull(header(DLQ_HEADERS.originalPartition));
  return {
    dlqTopic: record.topic,
    dlqPartition: record.partition,
    dlqOffset: record.offset,
    originalTopic,
    originalPartition: originalPartition === null ? null : Number(originalPartition),
    originalOffset: integerOrNull(header(DLQ_HEADERS.originalOffset)),
    orderId: record.key?.toString() ?? null,
    eventId: header('event-id') ?? null,
    errorClass,
    errorMessage,
    deadLetteredAt: new Date(Number.isNaN(failedAt) ? Number(record.timestamp) : failedAt),
    stub: stubReasonOf(record) !== undefined,
    key: record.key,
    value: valueBytes <= INDEXED_VALUE_LIMIT ? record.value : null,
    valueBytes,
    headers,
  };
}

/** A record as a DLQ reader gets it back from the bytes an entry keeps. */
export function recordOfEntry(entry: DeadLetterEntry): DeadLetterRecord {
  const headers: IHeaders = {};
  for (const [name, values] of Object.entries(entry.headers)) {
    const buffers = values.map((value) => Buffer.from(value, 'base64'));
    headers[name] = buffers.length === 1 ? buffers[0] : buffers;
  }
  return {
    topic: entry.dlqTopic,
    partition: entry.dlqPartition,
    offset: entry.dlqOffset,
    timestamp: String(entry.deadLetteredAt.getTime()),
    key: entry.key,
    value: entry.value,
    headers,
  };
}

export interface PartitionRange {
  partition: number;
  /** First offset still in the topic, and the next offset to be written (Kafka's low/high). */
  low: string;
  high: string;
}

export async function partitionRanges(admin: Admin, topic: string): Promise<PartitionRange[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets
    .map(({ partition, low, high }) => ({ partition, low, high }))
    .sort((a, b) => a.partition - b.partition);
}

export interface ReadOptions {
  /** Gives up when the records up to the high watermarks have not arrived by then. */
  timeoutMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Only these partitions (default: every partition with records). */
  partitions?: readonly number[];
  /** Stops the read at once (the service is stopping): rejects, and the consumer leaves. */
  signal?: AbortSignal;
  /** The start of the read's consumer group id (default DLQ_READER_GROUP_PREFIX). */
  groupIdPrefix?: string;
}

/** Reading a DLQ topic to its end took longer than allowed. */
export class DeadLetterReadTimeoutError extends AppError {
  constructor(message: string) {
    super('dead-letter-read-timeout', message, { retriable: true });
  }
}

/** The consumer groups of DLQ reads (the console's reconciler, `npm run dlq`): one per read. */
export const DLQ_READER_GROUP_PREFIX = 'order-dlq-reader-';

/**
 * Reads the whole topic as it is now: the high watermark of every partition is taken first,
 * then a consumer in a fresh group (random id, nothing committed) reads from the beginning until
 * it has reached each of them, and the group is deleted after. Records written meanwhile are left
 * for the next run. kafkajs has no group-less consumer, so this costs one group join (about 3 s
 * on librdkafka's mock broker).
 */
export async function readDeadLetterTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  options: ReadOptions,
): Promise<DeadLetterRecord[]> {
  const ranges = await partitionRanges(admin, topic);
  const wanted = options.partitions && new Set(options.partitions);
  /** Partition -> the last offset to read. */
  const pending = new Map(
    ranges
      .filter(({ low, high }) => BigInt(high) > BigInt(low))
      .filter(({ partition }) => !wanted || wanted.has(partition))
      .map(({ partition, high }) => [partition, BigInt(high) - 1n]),
  );
  if (pending.size === 0) return [];

  // By position: a batch delivered twice (after a rebalance) must not list a record twice.
  const records = new Map<string, DeadLetterRecord>();
  const groupId = `${options.groupIdPrefix ?? DLQ_READER_GROUP_PREFIX}${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
  });
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  let timer: NodeJS.Timeout | undefined;
  let abort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    abort = () => reject(new Error(`reading ${topic} stopped: the service is stopping`));
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
  });
  aborted.catch(() => undefined);
  const connecting = consumer.connect();
  let connectSettled = false;
  void connecting.then(
    () => (connectSettled = true),
    () => (connectSettled = true),
  );
  try {
    await Promise.race([connecting, aborted]);
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const last = pending.get(batch.partition);
        if (last === undefined) return;
        for (const message of batch.messages) {
          if (BigInt(message.offset) > last) break;
          records.set(`${batch.partition}/${message.offset}`, {
            topic,
            partition: batch.partition,
            offset: message.offset,
            timestamp: message.timestamp,
            key: message.key,
            value: message.value,
            headers: message.headers ?? {},
          });
        }
        if (BigInt(batch.lastOffset()) >= last) {
          pending.delete(batch.partition);
          if (pending.size === 0) finished();
        }
      },
    });
    await Promise.race([
      done,
      aborted,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new DeadLetterReadTimeoutError(
                `reading ${topic} timed out after ${options.timeoutMs} ms ` +
                  `(partitions not read to the end: ${[...pending.keys()].join(', ')})`,
              ),
            ),
          options.timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    // The signal outlives this read (the reconciler's, for the service's life).
    options.signal?.removeEventListener('abort', abort);
    if (connectSettled) {
      await consumer.disconnect().catch(() => undefined);
      // Its group is empty now and committed nothing: gone at once, not listed for minutes.
      await admin.deleteGroups([groupId]).catch(() => undefined);
    } else {
      // Aborted mid-connect: leave once the connect settles (else it ends connected), without
      // holding up the stop for a broker that does not answer.
      void connecting.then(
        () => consumer.disconnect().catch(() => undefined),
        () => undefined,
      );
    }
  }
  return [...records.values()].sort((a, b) =>
    a.partition !== b.partition ? a.partition - b.partition : compareOffsets(a.offset, b.offset),
  );
}

export function compareOffsets(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
