import type {
  ActingOperator,
  DeadLetterActionsRepository,
  DeadLetterRef,
} from '../../../data-access/dead-letter-actions-repository';
import { auditedOperator } from './acting-operator';
import { actorOf } from './cli-config';
import type { DlqContext } from './cli-context';
import { recordsTable } from './record-views';
import { selectDeadLetters } from './selection';
import type { Selector } from './selectors';

export interface SkipOptions {
  topic: string;
  selector: Selector;
  dryRun: boolean;
  reason?: string;
}

const SKIP_CHUNK = 1_000;

/** Marks the selected unhandled records `skipped`: handled, never replayed. Kafka is not written. */
export async function skipCommand(context: DlqContext, options: SkipOptions) {
  const { output } = context;
  const { topic, actions, handled, selected, what } = await selectDeadLetters(context, {
    ...options,
    includeHandled: false,
  });
  if (selected.length === 0) {
    output.out(`nothing to skip: no ${what}`);
    return;
  }
  if (options.dryRun) {
    (await recordsTable(selected, handled, undefined)).forEach((line) => output.out(line));
    output.out(`dry run: would skip ${selected.length} ${what}; nothing was marked`);
    return;
  }
  await skipRecords(actions, topic, selected, {
    actor: actorOf(context.config),
    reason: options.reason ?? '',
  });
  output.out(`skipped ${selected.length} ${what}; marked skipped`);
}

/**
 * Marks records of one DLQ topic skipped (handled, never replayed; a record already handled
 * keeps its action), audited under `operator`: what skipCommand does once it has selected
 * them, for any caller. Kafka is not written.
 */
export async function skipRecords(
  actions: DeadLetterActionsRepository,
  topic: string,
  records: DeadLetterRef[],
  acting: ActingOperator,
) {
  const operator = auditedOperator(acting);
  for (let start = 0; start < records.length; start += SKIP_CHUNK) {
    await actions.record(topic, 'skipped', records.slice(start, start + SKIP_CHUNK), operator);
  }
}
