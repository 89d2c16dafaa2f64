import { createHash } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import { DLQ_HEADER_PREFIX, DLQ_HEADERS } from './dead-letter-headers';

/**
 * Bounds on what a dead letter copies from the failed record, so that the dead letter of a
 * record near the size bound still fits its topic, and a stub when it does not.
 */
export const DEAD_LETTER_LIMITS = {
  /** Original header values copied at most (a repeated header counts once per value). */
  maxCopiedHeaders: 64,
  /** Bytes of copied original headers (names and values) at most. */
  maxCopiedHeaderBytes: 16_384,
  /** UTF-16 units of the `dlq-dropped-headers` text at most. */
  maxDroppedHeadersText: 1_000,
  /** Bytes of the original value a stub keeps. */
  stubValueBytes: 1_024,
  /** Bytes of the original key a stub keeps (a key is an order id, far shorter). */
  stubKeyBytes: 256,
} as const;

type HeaderValue = NonNullable<IHeaders[string]>;

const byteLength = (value: Buffer | string) =>
  typeof value === 'string' ? Buffer.byteLength(value) : value.length;

/**
 * The original headers, in order, up to the count and byte caps; a header that does not fit is
 * dropped whole, and the names of the dropped ones go into `dlq-dropped-headers`.
 */
export function capOriginalHeaders(headers: IHeaders | undefined): IHeaders {
  const kept: IHeaders = {};
  const dropped: string[] = [];
  let count = 0;
  let bytes = 0;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const values: (Buffer | string)[] = Array.isArray(value) ? value : [value];
    const size = values.reduce((sum, item) => sum + byteLength(name) + byteLength(item), 0);
    if (
      count + values.length > DEAD_LETTER_LIMITS.maxCopiedHeaders ||
      bytes + size > DEAD_LETTER_LIMITS.maxCopiedHeaderBytes
    ) {
      dropped.push(name);
      continue;
    }
    kept[name] = value as HeaderValue;
    count += values.length;
    bytes += size;
  }
  return dropped.length > 0 ? { ...kept, ...droppedHeader(dropped) } : kept;
}

/** `3 dropped (over 64 headers or 16384 bytes): a, b, c`, cut to its bound with `…`. */
function droppedHeader(names: string[]): IHeaders {
  const { maxCopiedHeaders, maxCopiedHeaderBytes, maxDroppedHeadersText } = DEAD_LETTER_LIMITS;
  const text = `${names.length} dropped (over ${maxCopiedHeaders} headers or ${maxCopiedHeaderBytes} bytes): ${names.join(', ')}`;
  const bounded =
    text.length <= maxDroppedHeadersText ? text : `${text.slice(0, maxDroppedHeadersText - 1)}…`;
  return { [DLQ_HEADERS.droppedHeaders]: bounded };
}

/** The dead letter written when it fits: key and value untouched, headers capped, then ours. */
export function wholeDeadLetter(
  key: Buffer | null,
  value: Buffer | null,
  originalHeaders: IHeaders | undefined,
  dlqHeaders: Record<string, string>,
): Message {
  return { key, value, headers: { ...capOriginalHeaders(originalHeaders), ...dlqHeaders } };
}

/**
 * What is written when the topic refused the whole dead letter: our headers with the original
 * coordinates, the key (capped), the first `valueBytes` of the value as the value, the value's
 * SHA-256 and length, why, and the names of the original headers (none copied). Enough to find
 * the original record on its topic while it is retained, or to match it against a producer's log.
 */
export function stubDeadLetter(
  key: Buffer | null,
  value: Buffer | null,
  originalHeaders: IHeaders | undefined,
  dlqHeaders: Record<string, string>,
  { reason, valueBytes }: { reason: string; valueBytes: number },
): Message {
  const names = Object.keys(originalHeaders ?? {}).filter(
    (name) => !name.startsWith(DLQ_HEADER_PREFIX),
  );
  const keyCut = key !== null && key.length > DEAD_LETTER_LIMITS.stubKeyBytes;
  return {
    key: key && key.subarray(0, DEAD_LETTER_LIMITS.stubKeyBytes),
    value: value && value.subarray(0, valueBytes),
    headers: {
      ...dlqHeaders,
      ...(names.length > 0 && droppedHeader(names)),
      [DLQ_HEADERS.stub]: keyCut
        ? `${reason}; key cut to ${DEAD_LETTER_LIMITS.stubKeyBytes} bytes`
        : reason,
      [DLQ_HEADERS.valueSha256]: value ? createHash('sha256').update(value).digest('hex') : '',
      [DLQ_HEADERS.valueBytes]: String(value?.length ?? 0),
    },
  };
}
