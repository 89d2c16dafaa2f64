/**
 * The headers of a dead-letter record (`<topic>_dlq`): the saga consumer's dead-letter publisher
 * writes them, the DLQ tool reads them and adds the `replayed` pair when it re-publishes a
 * record. One list, so the writer and the reader cannot drift apart.
 */
export const DLQ_HEADER_PREFIX = 'dlq-';

export const DLQ_HEADERS = {
  originalTopic: `${DLQ_HEADER_PREFIX}original-topic`,
  originalPartition: `${DLQ_HEADER_PREFIX}original-partition`,
  originalOffset: `${DLQ_HEADER_PREFIX}original-offset`,
  originalTimestamp: `${DLQ_HEADER_PREFIX}original-timestamp`,
  consumerGroup: `${DLQ_HEADER_PREFIX}consumer-group`,
  errorClass: `${DLQ_HEADER_PREFIX}error-class`,
  errorMessage: `${DLQ_HEADER_PREFIX}error-message`,
  attempts: `${DLQ_HEADER_PREFIX}attempts`,
  firstFailureAt: `${DLQ_HEADER_PREFIX}first-failure-at`,
  lastFailureAt: `${DLQ_HEADER_PREFIX}last-failure-at`,
  serviceVersion: `${DLQ_HEADER_PREFIX}service-version`,
  /** Original headers not copied (over the count or byte cap): their names, and how many. */
  droppedHeaders: `${DLQ_HEADER_PREFIX}dropped-headers`,
  /**
   * On a stub only: why the whole dead letter was not written (the broker refused it). A stub's
   * value is the first bytes of the original value; it cannot be replayed.
   */
  stub: `${DLQ_HEADER_PREFIX}stub`,
  /** On a stub: the SHA-256 (hex) and the length in bytes of the whole original value. */
  valueSha256: `${DLQ_HEADER_PREFIX}value-sha256`,
  valueBytes: `${DLQ_HEADER_PREFIX}value-bytes`,
  /** Added by the DLQ tool's `replay` to the re-published record: `<dlq topic>/<partition>/<offset>`. */
  replayedFrom: `${DLQ_HEADER_PREFIX}replayed-from`,
  replayedAt: `${DLQ_HEADER_PREFIX}replayed-at`,
} as const;
