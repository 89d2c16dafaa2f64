/**
 * What the race tests check of every order, read from the database alone: its history is a path
 * through the transition table (each step a row, each step starting where the last ended), and
 * its outbox holds exactly the events those rows emit, each once. Not a test file itself.
 */
import type { Client } from 'pg';
import {
  NEW_ORDER,
  SAGA_TRANSITIONS,
  SAGA_VOCABULARY,
  type SagaTransition,
} from '../../../src/domain/saga-transitions';

export interface SagaStory {
  orderId: string;
  status: string;
  /** `FROM>TO by trigger`, in the order written. */
  steps: string[];
  /** Outbox topics, in the order written. */
  outbox: string[];
  /** Why the story is not a valid path with exactly its rows' effects; empty when it is. */
  violations: string[];
}

interface HistoryRow {
  order_id: string;
  from_status: string | null;
  to_status: string;
  causing_event_id: string | null;
  trigger: string | null;
}

const COMMANDS: readonly string[] = SAGA_VOCABULARY.commands;

/** The table row a history step took: by its causing event's topic, else by a command. */
function rowOf(step: HistoryRow): SagaTransition | undefined {
  const from = step.from_status ?? NEW_ORDER;
  return SAGA_TRANSITIONS.find(
    (row) =>
      row.from === from &&
      row.to === step.to_status &&
      (step.trigger === null ? COMMANDS.includes(row.trigger) : row.trigger === step.trigger),
  );
}

/** The stories of these orders (one query per table, whatever their number). */
export async function sagaStories(sql: Client, orderIds: readonly string[]): Promise<SagaStory[]> {
  const ids = [...orderIds];
  // One after the other: a pg Client runs one query at a time.
  const { rows: orders } = await sql.query<{ id: string; status: string }>(
    'SELECT id, status FROM orders WHERE id = ANY($1)',
    [ids],
  );
  const { rows: history } = await sql.query<HistoryRow>(
    `SELECT h.order_id, h.from_status, h.to_status, h.causing_event_id, p.topic AS trigger
     FROM order_status_history h LEFT JOIN processed_events p ON p.event_id = h.causing_event_id
     WHERE h.order_id = ANY($1) ORDER BY h.id`,
    [ids],
  );
  const { rows: outbox } = await sql.query<{ order_id: string; topic: string }>(
    'SELECT order_id, topic FROM outbox WHERE order_id = ANY($1) ORDER BY id',
    [ids],
  );
  const statusOf = new Map(orders.map((o) => [o.id, o.status]));
  return ids.map((orderId) => {
    const steps = history.filter((h) => h.order_id === orderId);
    const violations: string[] = [];
    const emitted: string[] = [];
    let at: string = NEW_ORDER;
    for (const step of steps) {
      const from = step.from_status ?? NEW_ORDER;
      const row = rowOf(step);
      const name = `${from}>${step.to_status} by ${step.trigger ?? 'a command'}`;
      if (from !== at) violations.push(`${name} starts from ${from}, but the order was ${at}`);
      if (!row) violations.push(`${name} is not a row of the transition table`);
      if (step.causing_event_id !== null && step.trigger === null) {
        violations.push(`${name}: its event ${step.causing_event_id} is not in processed_events`);
      }
      emitted.push(...(row?.emit ?? []));
      at = step.to_status;
    }
    if (statusOf.get(orderId) !== at) {
      violations.push(`the order is ${statusOf.get(orderId)}, but its history ends at ${at}`);
    }
    const topics = outbox.filter((o) => o.order_id === orderId).map((o) => o.topic);
    const sorted = (list: string[]) => [...list].sort().join(', ');
    if (sorted(topics) !== sorted(emitted)) {
      violations.push(`outbox holds [${sorted(topics)}], its steps emit [${sorted(emitted)}]`);
    }
    return {
      orderId,
      status: statusOf.get(orderId) ?? 'missing',
      steps: steps.map((s) => `${s.from_status ?? ''}>${s.to_status}`),
      outbox: topics,
      violations,
    };
  });
}

/** Every violation of every story, prefixed by its order: `[]` when all are valid. */
export function violationsOf(stories: readonly SagaStory[]): string[] {
  return stories.flatMap((story) => story.violations.map((v) => `${story.orderId}: ${v}`));
}

/** How many orders took each path, e.g. `{ '>PENDING PENDING>FAILED FAILED>FAILED': 3 }`. */
export function pathCounts(stories: readonly SagaStory[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { steps } of stories) counts[steps.join(' ')] = (counts[steps.join(' ')] ?? 0) + 1;
  return counts;
}
