import type { IHeaders, TopicMessages } from 'kafkajs';
import { DLQ_HEADER_PREFIX, DLQ_HEADERS } from './dead-letter-headers';
import { originalTopicOf, stubReasonOf, type DeadLetterRecord } from './dead-letter-records';
import { DLQ_SUFFIX } from './topics';

/**
 * What a replay sends, for the DLQ tool and the console alike: each record to the topic it came
 * from, with its original key, value and headers (the `dlq-*` ones dropped), plus where and when
 * it was replayed from. Records keep their order within a topic, so one order's records (one
 * key, one partition) arrive in the order given.
 */
export function replayMessages(records: DeadLetterRecord[], replayedAt: string): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const record of records) {
    const target = originalTopicOf(record);
    let entry = byTopic.get(target);
    if (!entry) byTopic.set(target, (entry = { topic: target, messages: [] }));
    entry.messages.push({
      key: record.key,
      value: record.value,
      headers: {
        ...originalHeaders(record.headers),
        [DLQ_HEADERS.replayedFrom]: `${record.topic}/${record.partition}/${record.offset}`,
        [DLQ_HEADERS.replayedAt]: replayedAt,
      },
    });
  }
  return [...byTopic.values()];
}

/** The headers the record had before it was dead-lettered. */
function originalHeaders(headers: IHeaders): IHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !name.startsWith(DLQ_HEADER_PREFIX)),
  );
}

/**
 * A record whose header names another topic than the one its DLQ is named after: it was not
 * written by the saga consumer, and replaying it would write where this service does not own.
 */
export function foreignRecordAmong(
  dlqTopic: string,
  records: DeadLetterRecord[],
): DeadLetterRecord | undefined {
  const expected = dlqTopic.slice(0, -DLQ_SUFFIX.length);
  return records.find((record) => originalTopicOf(record) !== expected);
}

/** Stubs hold only the first bytes of the value: replaying one would send a broken record. */
export function stubsAmong(records: DeadLetterRecord[]): DeadLetterRecord[] {
  return records.filter((record) => stubReasonOf(record) !== undefined);
}
