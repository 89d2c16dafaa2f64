import type { Admin, Kafka } from 'kafkajs';
import {
  readDeadLetterTopic as readWholeTopic,
  DeadLetterReadTimeoutError,
  type DeadLetterRecord,
  type ReadOptions,
} from '../../../messaging/dead-letter-records';
import { consumedDeadLetterTopics, DLQ_SUFFIX } from '../../../messaging/topics';
import { CliError } from './cli-errors';

// The record type and its readers live in messaging/, shared with the operator console.
export {
  headerText,
  headersAsText,
  originalTopicOf,
  partitionRanges,
  stubReasonOf,
  type DeadLetterRecord,
  type ReadOptions,
} from '../../../messaging/dead-letter-records';

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

/** The whole topic as it is now; a timeout is one line for the operator, as every CLI failure. */
export async function readDeadLetterTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  options: ReadOptions,
): Promise<DeadLetterRecord[]> {
  try {
    return await readWholeTopic(kafka, admin, topic, options);
  } catch (error) {
    if (error instanceof DeadLetterReadTimeoutError) throw new CliError(error.message);
    throw error;
  }
}
