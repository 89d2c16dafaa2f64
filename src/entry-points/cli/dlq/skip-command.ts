import type { DlqContext } from './cli-context';
import { readDeadLetterTopic, resolveDeadLetterTopic } from './dead-letter-records';
import { recordsTable, selectRecords } from './record-views';
import { describeSelector, type Selector } from './selectors';

export interface SkipOptions {
  topic: string;
  selector: Selector;
  dryRun: boolean;
}

const SKIP_CHUNK = 1_000;

/** Marks the selected unhandled records `skipped`: handled, never replayed. Kafka is not written. */
export async function skipCommand(context: DlqContext, options: SkipOptions) {
  const { config, output } = context;
  const admin = await context.admin();
  const topic = await resolveDeadLetterTopic(admin, config.KAFKA_TOPIC_PREFIX, options.topic);
  const records = await readDeadLetterTopic(context.kafka, admin, topic, context.readOptions);
  const actions = context.actions();
  const handled = await actions.handledIn(topic);
  const selected = selectRecords(records, handled, options.selector, { includeHandled: false });
  const what = `unhandled record(s) of ${topic} matching ${describeSelector(options.selector)}`;
  if (selected.length === 0) {
    output.out(`nothing to skip: no ${what}`);
    return;
  }
  if (options.dryRun) {
    (await recordsTable(selected, handled, undefined)).forEach((line) => output.out(line));
    output.out(`dry run: would skip ${selected.length} ${what}; nothing was marked`);
    return;
  }
  for (let start = 0; start < selected.length; start += SKIP_CHUNK) {
    await actions.record(topic, 'skipped', selected.slice(start, start + SKIP_CHUNK));
  }
  output.out(`skipped ${selected.length} ${what}; marked skipped`);
}
