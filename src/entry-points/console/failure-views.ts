import type { IndexedDeadLetter } from '../../data-access/dead-letter-index-repository';
import type { InboundEvent } from '../../domain/inbound-events';

/** Bytes of a value shown as hex at most; the rest is counted, not shown. */
const HEX_LIMIT = 16_384;

/** Header values as text (they are bytes; every header this service writes is text). */
function headerTexts(headers: Record<string, string[]>): Record<string, string | string[]> {
  const texts: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    const decoded = values.map((value) => Buffer.from(value, 'base64').toString('utf8'));
    texts[name] = decoded.length === 1 ? (decoded[0] ?? '') : decoded;
  }
  return texts;
}

/** A dead letter as the console lists and shows it: everything but the payload. */
export function recordView(entry: IndexedDeadLetter) {
  return {
    dlqTopic: entry.dlqTopic,
    dlqPartition: entry.dlqPartition,
    dlqOffset: entry.dlqOffset,
    originalTopic: entry.originalTopic,
    originalPartition: entry.originalPartition,
    originalOffset: entry.originalOffset,
    orderId: entry.orderId,
    eventId: entry.eventId,
    errorClass: entry.errorClass,
    errorMessage: entry.errorMessage,
    groupKey: entry.groupKey,
    deadLetteredAt: entry.deadLetteredAt,
    stub: entry.stub,
    valueBytes: entry.valueBytes,
    valueHeld: entry.value !== null,
    handled: entry.handled,
    headers: headerTexts(entry.headers),
    payloadHidden: true,
  };
}

/** The payload, once revealed: decoded through the registry when it decodes, and the raw bytes. */
export function revealedPayload(
  entry: IndexedDeadLetter,
  decoded: { event?: InboundEvent; error?: string },
) {
  const value = entry.value;
  return {
    dlqTopic: entry.dlqTopic,
    dlqPartition: entry.dlqPartition,
    dlqOffset: entry.dlqOffset,
    key: entry.key?.toString('utf8') ?? null,
    decoded: decoded.event ?? null,
    decodeError: decoded.error ?? null,
    valueHex: value ? value.subarray(0, HEX_LIMIT).toString('hex') : null,
    valueHexTruncated: value !== null && value.length > HEX_LIMIT,
    valueBytes: entry.valueBytes,
  };
}
