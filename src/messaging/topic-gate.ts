import type { Kafka } from 'kafkajs';
import { errorMessage, someCause } from '../shared/app-error';
import type { Logger } from '../shared/logger';
import { TopicsMissingError, TopicsRefusedError } from './topic-check';
import { checkTopicsExist, provisionTopics, type TopicSettings } from './topic-provisioning';

/** What the admin `/ready` says of the service's topics (`kafkaTopics`). */
export type TopicStatus =
  | { status: 'unchecked' }
  | { status: 'present' }
  | { status: 'missing'; missing: string[] }
  | { status: 'refused'; reason: string }
  | { status: 'unknown'; reason: string };

export interface TopicGate {
  /** Before each consumer join: creates (KAFKA_CREATE_TOPICS) or checks the topics. */
  beforeJoin(signal: AbortSignal): Promise<void>;
  status(): TopicStatus;
}

export interface TopicGateSettings extends TopicSettings {
  /** The service owns its topics (KAFKA_CREATE_TOPICS): create them, else only check. */
  create: boolean;
}

/**
 * The service's topics before each join: created when the service owns them, else checked, so
 * that a missing topic is named (in the consumer's retry line and in `/ready`) instead of
 * surfacing as "This server does not host this topic-partition" forever. Missing topics are
 * waited for; a refusal for good (TopicsRefusedError) is the consumer's to stop on.
 */
export function createTopicGate(
  kafka: Kafka,
  config: TopicGateSettings,
  logger: Logger,
): TopicGate {
  let current: TopicStatus = { status: 'unchecked' };
  return {
    async beforeJoin(signal) {
      try {
        if (config.create) await provisionTopics(kafka, config, logger, signal);
        else await checkTopicsExist(kafka, config.topicPrefix);
        current = { status: 'present' };
      } catch (error) {
        current = statusOf(error);
        throw error;
      }
    },
    status: () => current,
  };
}

function statusOf(error: unknown): TopicStatus {
  if (error instanceof TopicsMissingError) {
    return { status: 'missing', missing: (error.details?.missing as string[] | undefined) ?? [] };
  }
  if (someCause(error, (cause) => cause instanceof TopicsRefusedError)) {
    return { status: 'refused', reason: errorMessage(error) };
  }
  return { status: 'unknown', reason: errorMessage(error) };
}
