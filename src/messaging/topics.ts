import { SAGA_VOCABULARY } from '../domain/saga-transitions';

/**
 * The saga's topics by logical name: the events it emits and the replies it consumes, as the
 * saga's vocabulary (domain/saga-transitions.ts) lists them. The physical topic is the configured prefix plus this
 * name; each carries one Avro record type, `schemas/<name>.avsc`, under subject `<topic>-value`.
 */
export const PRODUCED_TOPICS = SAGA_VOCABULARY.events;
export const CONSUMED_TOPICS = SAGA_VOCABULARY.replies;

export type ProducedTopic = (typeof PRODUCED_TOPICS)[number];
export type ConsumedTopic = (typeof CONSUMED_TOPICS)[number];
export type SagaTopic = ProducedTopic | ConsumedTopic;

export const ALL_TOPICS: readonly SagaTopic[] = [...PRODUCED_TOPICS, ...CONSUMED_TOPICS];

export const DLQ_SUFFIX = '_dlq';

/** Where records of `topic` that cannot be processed go. */
export function deadLetterTopic(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

export function physicalTopic(prefix: string, topic: string): string {
  return `${prefix}${topic}`;
}

export function subjectFor(prefix: string, topic: string): string {
  return `${physicalTopic(prefix, topic)}-value`;
}

/**
 * The dead-letter topics of the topics this service consumes, under `prefix`: the only ones
 * its consumer writes (from the same list it subscribes to), and the only ones the DLQ tool
 * reads and replays from.
 */
export function consumedDeadLetterTopics(prefix: string): string[] {
  return CONSUMED_TOPICS.map((topic) => physicalTopic(prefix, deadLetterTopic(topic)));
}
