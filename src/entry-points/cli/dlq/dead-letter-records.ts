import { randomBytes } from 'node:crypto';
import type { Admin, IHeaders, Kafka } from 'kafkajs';
import { DLQ_HEADERS } from '../../../messaging/dead-letter-headers';
import { consumedDeadLetterTopics, DLQ_SUFFIX } from '../../../messaging/topics';
import type { PartitionRange } from '../../../data-access/dead-letter-actions-repository';
import { CliError } from './cli-errors';

/** A dead-lettered record as stored: bytes and headers untouched, for show and replay alike. */
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

/**
 * The dead-letter topics of this service's consumed topics under the prefix that exist on the
 * cluster, sorted by name. Other `_dlq` topics are not this tool's: replaying one would write,
 * under this service's identity, into a topic it does not own. Does not create any topic.
 */
export async function listDeadLetterTopics(admin: Admin, prefix: string): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  return consumedDeadLetterTopics(prefix)
    .filter((topic) => existing.has(topic))
    .sort((a, b) => a.localeCompare(b));
}

/**
 * The operator may name the DLQ topic in full, or the source topic without prefix and suffix
 * (`payment_successful`). Only the dead-letter topics of the consumed topics under the prefix
 * are accepted, and only once they exist, so a typo never creates a topic (metadata requests
 * auto-create topics on many clusters).
 */
export async function resolveDeadLetterTopic(
  admin: Admin,
  prefix: string,
  name: string,
): Promise<string> {
  const ours = consumedDeadLetterTopics(prefix);
  const candidates = [name, `${prefix}${name}`, `${prefix}${name}${DLQ_SUFFIX}`];
  const found = candidates.find((candidate) => ours.includes(candidate));
  if (!found) {
    throw new CliError(
      `"${name}" is not a dead-letter topic of this service; under prefix "${prefix}" they are: ${ours.join(', ')}`,
    );
  }
  const known = await listDeadLetterTopics(admin, prefix);
  if (known.includes(found)) return found;
  const list = known.length > 0 ? `; known: ${known.join(', ')}` : '';
  throw new CliError(`no dead-letter topic "${name}" under prefix "${prefix}"${list}`);
}

export async function partitionRanges(admin: Admin, topic: string): Promise<PartitionRange[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets
    .map(({ partition, low, high }) => ({ partition, low, high }))
    .sort((a, b) => a.partition - b.partition);
}

export interface ReadOptions {
  /** Gives up (CliError) when the records up to the high watermarks have not arrived by then. */
  timeoutMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
}

/**
 * Reads the whole topic as it is now: the high watermark of every partition is taken first,
 * then a consumer in a fresh group (random id, nothing committed) reads from the beginning until
 * it has reached each of them. Records written meanwhile are left for the next run. kafkajs has
 * no group-less consumer, so this costs one group join (about 3 s on librdkafka's mock broker).
 */
export async function readDeadLetterTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  options: ReadOptions,
): Promise<DeadLetterRecord[]> {
  const ranges = await partitionRanges(admin, topic);
  /** Partition -> the last offset to read. */
  const pending = new Map(
    ranges
      .filter(({ low, high }) => BigInt(high) > BigInt(low))
      .map(({ partition, high }) => [partition, BigInt(high) - 1n]),
  );
  if (pending.size === 0) return [];

  // By position: a batch delivered twice (after a rebalance) must not list a record twice.
  const records = new Map<string, DeadLetterRecord>();
  const consumer = kafka.consumer({
    groupId: `order-dlq-reader-${randomBytes(6).toString('hex')}`,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
  });
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
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
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new CliError(
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
    await consumer.disconnect().catch(() => undefined);
  }
  return [...records.values()].sort((a, b) =>
    a.partition !== b.partition ? a.partition - b.partition : compareOffsets(a.offset, b.offset),
  );
}

function compareOffsets(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
