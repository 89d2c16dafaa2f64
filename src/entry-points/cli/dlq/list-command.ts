import type { DlqContext } from './cli-context';
import { listDeadLetterTopics, partitionRanges } from './dead-letter-records';
import { toJson } from './record-views';
import { formatTable } from '../../../shared/text-table';

/** Each dead-letter topic under the prefix, its record count and how many are still to handle. */
export async function listCommand(context: DlqContext, { json }: { json: boolean }) {
  const { config, output } = context;
  const admin = await context.admin();
  const topics = await listDeadLetterTopics(admin, config.KAFKA_TOPIC_PREFIX);
  const actions = context.actions();
  const rows: { topic: string; records: number; toHandle: number }[] = [];
  for (const topic of topics) {
    const ranges = await partitionRanges(admin, topic);
    const records = ranges.reduce((sum, { low, high }) => sum + Number(high) - Number(low), 0);
    rows.push({ topic, records, toHandle: records - (await actions.countHandled(topic, ranges)) });
  }
  if (json) {
    output.out(toJson(rows));
  } else if (rows.length === 0) {
    output.out(`no dead-letter topics under prefix "${config.KAFKA_TOPIC_PREFIX}"`);
  } else {
    const table = rows.map((row) => [row.topic, String(row.records), String(row.toHandle)]);
    formatTable(['TOPIC', 'RECORDS', 'TO HANDLE'], table).forEach((line) => output.out(line));
  }
}
