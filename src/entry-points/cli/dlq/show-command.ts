import { DEFAULT_AVRO_BOUNDS } from '../../../messaging/avro-bounds';
import type { Selector } from './selectors';
import { describeSelector } from './selectors';
import type { DlqContext } from './cli-context';
import { readDeadLetterTopic, resolveDeadLetterTopic } from './dead-letter-records';
import {
  countPending,
  createValueDecoder,
  jsonView,
  recordsTable,
  selectRecords,
  toJson,
} from './record-views';

export interface ShowOptions {
  topic: string;
  selector: Selector;
  limit: number;
  json: boolean;
}

/** The records (handled or not) with their error headers and decoded values, oldest first. */
export async function showCommand(context: DlqContext, options: ShowOptions) {
  const { config, output, writers } = context;
  const admin = await context.admin();
  const topic = await resolveDeadLetterTopic(admin, config.KAFKA_TOPIC_PREFIX, options.topic);
  const records = await readDeadLetterTopic(context.kafka, admin, topic, context.readOptions);
  const handled = await context.actions().handledIn(topic);
  const selected = selectRecords(records, handled, options.selector, { includeHandled: true });
  const shown = selected.slice(0, options.limit);
  const values = createValueDecoder(writers, {
    ...DEFAULT_AVRO_BOUNDS,
    maxNodes: config.CONSUMER_MAX_NODES,
  });
  if (options.json) {
    const views = [];
    for (const record of shown) views.push(await jsonView(record, handled, values));
    output.out(toJson(views));
    return;
  }
  output.out(
    `${topic}: ${records.length} record(s), ${countPending(records, handled)} to handle; ` +
      `${selected.length} match ${describeSelector(options.selector)}` +
      (shown.length < selected.length ? `, showing the first ${shown.length} (--limit)` : ''),
  );
  if (shown.length > 0) {
    (await recordsTable(shown, handled, values)).forEach((line) => output.out(line));
  }
}
