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
  /** Added by the DLQ tool's `replay` to the re-published record: `<dlq topic>/<partition>/<offset>`. */
  replayedFrom: `${DLQ_HEADER_PREFIX}replayed-from`,
  replayedAt: `${DLQ_HEADER_PREFIX}replayed-at`,
} as const;
