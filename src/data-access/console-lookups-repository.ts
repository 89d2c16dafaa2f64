import type { OperatorAction } from '../domain/operator-audit';
import type { OrderStatus } from '../domain/order-status';
import { insertOperatorActions } from './operator-audit-sql';
import { poolOf, type Database } from './prisma-client-factory';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Small look-ups the console's dry runs need, and audit rows that change nothing else. */
export function createConsoleLookupsRepository(db: Database) {
  const pool = poolOf(db);
  return {
    /** Status per order id; ids that are not orders (or not UUIDs) are absent. */
    async orderStatuses(orderIds: readonly string[]): Promise<Map<string, OrderStatus>> {
      const ids = [...new Set(orderIds.filter((id) => UUID.test(id)))];
      if (ids.length === 0) return new Map();
      const { rows } = await pool.query<{ id: string; status: OrderStatus }>(
        `SELECT id::text AS id, status FROM orders WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      return new Map(rows.map((row) => [row.id, row.status]));
    },

    /** How each already processed event id was handled (`applied`, `ignored`...). */
    async processedOutcomes(eventIds: readonly string[]): Promise<Map<string, string>> {
      const ids = [...new Set(eventIds)];
      if (ids.length === 0) return new Map();
      const { rows } = await pool.query<{ event_id: string; outcome: string }>(
        `SELECT event_id, outcome FROM processed_events WHERE event_id = ANY($1::text[])`,
        [ids],
      );
      return new Map(rows.map((row) => [row.event_id, row.outcome]));
    },

    async audit(actions: readonly OperatorAction[]): Promise<void> {
      if (actions.length === 0) return;
      const insert = insertOperatorActions(actions);
      await pool.query(insert.text, insert.values);
    },
  };
}

export type ConsoleLookupsRepository = ReturnType<typeof createConsoleLookupsRepository>;
