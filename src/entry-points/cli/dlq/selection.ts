import type { DlqContext } from './cli-context';
import { readDeadLetterTopic, resolveDeadLetterTopic } from './dead-letter-records';
import { selectRecords } from './record-views';
import { describeSelector, type Selector } from './selectors';

/**
 * What replay and skip act on: the DLQ topic named on the command line, its records matching
 * the selector (unhandled ones unless asked otherwise), what is already handled, and a phrase
 * describing the selection for the output lines.
 */
export async function selectDeadLetters(
  context: DlqContext,
  options: { topic: string; selector: Selector; includeHandled: boolean },
) {
  const admin = await context.admin();
  const topic = await resolveDeadLetterTopic(
    admin,
    context.config.KAFKA_TOPIC_PREFIX,
    options.topic,
  );
  const records = await readDeadLetterTopic(context.kafka, admin, topic, context.readOptions);
  const actions = context.actions();
  const handled = await actions.handledIn(topic);
  const selected = selectRecords(records, handled, options.selector, options);
  const what = `${options.includeHandled ? '' : 'unhandled '}record(s) of ${topic} matching ${describeSelector(options.selector)}`;
  return { topic, actions, handled, selected, what };
}
