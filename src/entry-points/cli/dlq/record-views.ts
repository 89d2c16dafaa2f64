import {
  handledKey,
  type HandledRecord,
} from '../../../data-access/dead-letter-actions-repository';
import type { Type } from 'avsc';
import { checkAvroBounds, type AvroBounds } from '../../../messaging/avro-bounds';
import { PoisonRecordError } from '../../../messaging/failure-policy';
import type { WriterSchemas } from '../../../messaging/writer-schemas';
import { readConfluentFrame } from '../../../messaging/confluent-frame';
import { DLQ_HEADERS } from '../../../messaging/dead-letter-headers';
import { oneLine } from './cli-errors';
import {
  headerText,
  headersAsText,
  originalTopicOf,
  stubReasonOf,
  type DeadLetterRecord,
} from './dead-letter-records';
import { matchesSelector, type Selector } from './selectors';
import { cell, formatTable } from '../../../shared/text-table';
import { escapeJsonForTerminal } from '../../../shared/terminal-text';

export type RecordStatus = 'pending' | 'replayed' | 'skipped';

export function statusOf(record: DeadLetterRecord, handled: Map<string, HandledRecord>) {
  return handled.get(handledKey(record.partition, record.offset));
}

/** The records matching the selector; handled ones only when asked for. */
export function selectRecords(
  records: DeadLetterRecord[],
  handled: Map<string, HandledRecord>,
  selector: Selector,
  { includeHandled }: { includeHandled: boolean },
): DeadLetterRecord[] {
  return records.filter(
    (record) =>
      (includeHandled || !statusOf(record, handled)) &&
      matchesSelector(selector, {
        partition: record.partition,
        offset: record.offset,
        key: record.key?.toString() ?? null,
        errorClass: headerText(record.headers, DLQ_HEADERS.errorClass),
      }),
  );
}

export function countPending(records: DeadLetterRecord[], handled: Map<string, HandledRecord>) {
  return records.filter((record) => !statusOf(record, handled)).length;
}

export type DecodedValue =
  | { value: unknown; schemaId: number | null }
  | { value: null; valueHex: string; undecodable: string };

export interface ValueDecoder {
  /** Through the registry where the bytes are Confluent-framed Avro it knows; else hex and why. */
  decode(bytes: Buffer | null): Promise<DecodedValue>;
}

/**
 * One per run: a schema id the registry could not give (unknown, refused by the bounds, or the
 * registry unreachable) is not asked for again, so an unreachable registry costs one timeout, not
 * one per record. Dead letters include decode bombs: their writer schemas are held to the
 * service's expansion bound and their bytes to its bounds before anything is decoded.
 */
export function createValueDecoder(writers: WriterSchemas, bounds: AvroBounds): ValueDecoder {
  const failedSchemaIds = new Map<number, string>();
  return {
    async decode(bytes) {
      if (bytes === null) return { value: null, schemaId: null };
      const hex = bytes.toString('hex');
      const frame = readConfluentFrame(bytes);
      if (!frame) return { value: null, valueHex: hex, undecodable: 'not Confluent-framed' };
      const { schemaId, body } = frame;
      const failed = failedSchemaIds.get(schemaId);
      if (failed) return { value: null, valueHex: hex, undecodable: failed };
      let schema: Type;
      try {
        schema = await writers.writer(schemaId);
      } catch (error) {
        const reason =
          error instanceof PoisonRecordError
            ? error.message
            : `registry failed for schema id ${schemaId}: ${oneLine(error)}`;
        failedSchemaIds.set(schemaId, reason);
        return { value: null, valueHex: hex, undecodable: reason };
      }
      const checked = checkAvroBounds(schema, body, bounds);
      if (!checked.ok) {
        return { value: null, valueHex: hex, undecodable: `not decoded: ${checked.reason}` };
      }
      try {
        return { value: schema.fromBuffer(body), schemaId };
      } catch (error) {
        const reason = `not Avro of schema id ${schemaId}: ${oneLine(error)}`;
        return { value: null, valueHex: hex, undecodable: reason };
      }
    },
  };
}

/** Everything about one record, for `show --json`. */
export async function jsonView(
  record: DeadLetterRecord,
  handled: Map<string, HandledRecord>,
  values: ValueDecoder,
) {
  const action = statusOf(record, handled);
  const text = (name: string) => headerText(record.headers, name) ?? null;
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: isoTime(record.timestamp),
    status: (action?.action ?? 'pending') as RecordStatus,
    handledAt: action?.at.toISOString() ?? null,
    key: record.key?.toString() ?? null,
    originalTopic: originalTopicOf(record),
    originalPartition: text(DLQ_HEADERS.originalPartition),
    originalOffset: text(DLQ_HEADERS.originalOffset),
    originalTimestamp: isoTime(text(DLQ_HEADERS.originalTimestamp)),
    consumerGroup: text(DLQ_HEADERS.consumerGroup),
    errorClass: text(DLQ_HEADERS.errorClass),
    errorMessage: text(DLQ_HEADERS.errorMessage),
    attempts: text(DLQ_HEADERS.attempts) === null ? null : Number(text(DLQ_HEADERS.attempts)),
    firstFailureAt: text(DLQ_HEADERS.firstFailureAt),
    lastFailureAt: text(DLQ_HEADERS.lastFailureAt),
    serviceVersion: text(DLQ_HEADERS.serviceVersion),
    headers: headersAsText(record.headers),
    ...(stubReasonOf(record) === undefined ? await values.decode(record.value) : stubView(record)),
  };
}

/** A stub's value is the first bytes of the original: shown as such, never decoded. */
function stubView(record: DeadLetterRecord) {
  const text = (name: string) => headerText(record.headers, name) ?? null;
  return {
    value: null,
    valueHex: record.value?.toString('hex') ?? '',
    undecodable: `stub: ${stubReasonOf(record)}`,
    stub: {
      reason: stubReasonOf(record),
      valueBytes: Number(text(DLQ_HEADERS.valueBytes)),
      valueSha256: text(DLQ_HEADERS.valueSha256),
      droppedHeaders: text(DLQ_HEADERS.droppedHeaders),
    },
  };
}

/** Kafka timestamps are epoch milliseconds as text. */
function isoTime(millis: string | null): string | null {
  const date = new Date(Number(millis));
  return millis === null || Number.isNaN(date.getTime()) ? millis : date.toISOString();
}

/**
 * Decoded values may hold bytes and longs: hex and decimal strings keep the JSON valid. Control
 * and bidi characters are JSON escapes, never raw on the terminal.
 */
export function toJson(data: unknown, indent = 2): string {
  const json = JSON.stringify(
    data,
    (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      const buffer = value as { type?: unknown; data?: unknown };
      if (buffer && buffer.type === 'Buffer' && Array.isArray(buffer.data)) {
        return Buffer.from(buffer.data as number[]).toString('hex');
      }
      return value;
    },
    indent,
  );
  return escapeJsonForTerminal(json);
}

/** The readable table of `show`, also used by `--dry-run` to list what would be done. */
export async function recordsTable(
  records: DeadLetterRecord[],
  handled: Map<string, HandledRecord>,
  values: ValueDecoder | undefined,
): Promise<string[]> {
  const header = ['PARTITION', 'OFFSET', 'STATUS', 'ERROR CLASS', 'ATTEMPTS', 'LAST FAILURE'];
  header.push('ORIGINAL', 'KEY', 'ERROR');
  if (values) header.push('VALUE');
  const rows: string[][] = [];
  for (const record of records) {
    const text = (name: string) => headerText(record.headers, name) ?? '';
    const row = [
      String(record.partition),
      record.offset,
      statusOf(record, handled)?.action ?? 'pending',
      text(DLQ_HEADERS.errorClass),
      text(DLQ_HEADERS.attempts),
      text(DLQ_HEADERS.lastFailureAt),
      `${originalTopicOf(record)}/${text(DLQ_HEADERS.originalPartition)}/${text(DLQ_HEADERS.originalOffset)}`,
      record.key?.toString() ?? '(null)',
      cell(text(DLQ_HEADERS.errorMessage), 60),
    ];
    if (values) {
      const decoded = stubReasonOf(record) ? stubView(record) : await values.decode(record.value);
      row.push(
        'valueHex' in decoded
          ? cell(`(${decoded.undecodable}) hex ${decoded.valueHex}`, 100)
          : cell(toJson(decoded.value, 0), 100),
      );
    }
    rows.push(row);
  }
  return formatTable(header, rows);
}
