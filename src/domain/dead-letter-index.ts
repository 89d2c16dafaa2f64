import { createHash } from 'node:crypto';

/**
 * One dead letter as the console's index (`dead_letters`) holds it: where it sits in its DLQ
 * topic (the key, as for `dead_letter_actions`), where it came from, why it failed, and its
 * bytes, so that showing, grouping and replaying it need no read of Kafka.
 */
export interface DeadLetterEntry {
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  originalTopic: string;
  originalPartition: number | null;
  originalOffset: string | null;
  /** The record key: the order id for every record this service consumes. */
  orderId: string | null;
  eventId: string | null;
  errorClass: string;
  errorMessage: string;
  deadLetteredAt: Date;
  /** The dead-letter topic refused the whole record: only its first bytes are kept. */
  stub: boolean;
  key: Buffer | null;
  /** Null when the value is larger than the index keeps (replay it with `npm run dlq`). */
  value: Buffer | null;
  valueBytes: number;
  /** Header name -> its values, base64 (header values are bytes). */
  headers: Record<string, string[]>;
}

/** Values larger than this stay in Kafka only; the index keeps everything else about them. */
export const INDEXED_VALUE_LIMIT = 256 * 1024;

const PATTERN_LIMIT = 300;

/**
 * An error message with what differs between occurrences of one cause masked, so that "order
 * 3f2…: amount 1899 does not match 1900" and the same for another order land in one group:
 * UUIDs, long hex ids, and then every number.
 */
export function normaliseErrorMessage(message: string): string {
  return message
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{12,}\b/gi, '<id>')
    .replace(/\b(?=[A-Za-z_-]*\d)[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*-\d[\w-]*\b/g, '<id>')
    .replace(/\d+(?:\.\d+)?/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, PATTERN_LIMIT);
}

/** The group of a dead letter: one per original topic, error class and normalised message. */
export function deadLetterGroupKey(
  originalTopic: string,
  errorClass: string,
  pattern: string,
): string {
  return createHash('sha256')
    .update(`${originalTopic}\n${errorClass}\n${pattern}`)
    .digest('hex')
    .slice(0, 16);
}

/** An entry with its group, as the index stores it. */
export interface GroupedEntry extends DeadLetterEntry {
  groupKey: string;
  errorPattern: string;
}

export function withGroup(entry: DeadLetterEntry): GroupedEntry {
  const errorPattern = normaliseErrorMessage(entry.errorMessage);
  return {
    ...entry,
    errorPattern,
    groupKey: deadLetterGroupKey(entry.originalTopic, entry.errorClass, errorPattern),
  };
}
