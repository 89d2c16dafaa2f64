import type pg from 'pg';
import { ConcurrentUpdateError } from '../domain/saga-errors';
import type { SagaOrder } from '../domain/saga-model';
import type {
  EventClaim,
  EventOutcome,
  InboundEventRef,
  SagaChange,
  SagaStore,
  SagaUnitOfWork,
} from '../domain/saga-store';
import type { OperatorAction } from '../domain/operator-audit';
import { insertOperatorActions } from './operator-audit-sql';
import { isDatabaseUnavailable, translateDatabaseErrors } from './database-errors';
import { ORDER_VIEW_SELECT, toOrderViewFromRow, type OrderViewRow } from './order-view-sql';
import { poolOf, type Database } from './prisma-client-factory';
import { traceparentForRow } from '../shared/trace-context';

/** An order locked for the saga, with its items and what peers reported, in one round trip. */
const SAGA_ORDER_SELECT = `
  SELECT o.id, o.status, o.customer_id, o.currency, o.total_amount, o.failure_reason,
         o.payment_id, o.paid_amount, o.reservation_id, o.version,
         (SELECT coalesce(json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity)
                                   ORDER BY i.position), '[]')
            FROM order_items i WHERE i.order_id = o.id) AS items,
         (SELECT coalesce(json_agg(json_build_object('kind', e.kind, 'reference', e.reference)), '[]')
            FROM order_effects e WHERE e.order_id = o.id) AS effects
  FROM orders o`;

/**
 * Every write of a unit of work, as data-modifying CTEs of one statement (each reads its own
 * arrays; none reads another's rows). Returns how many orders matched their locked version.
 */
const SAGA_WRITES = `
  WITH updated AS (
    UPDATE orders o SET status = v.status::"OrderStatus", failure_reason = v.failure_reason,
      payment_id = v.payment_id, paid_amount = v.paid_amount, reservation_id = v.reservation_id,
      step_deadline_at = v.step_deadline_at, version = v.version, updated_at = now()
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[],
                $7::timestamptz[], $8::int[], $9::int[])
      AS v(id, status, failure_reason, payment_id, paid_amount, reservation_id,
           step_deadline_at, locked_version, version)
    WHERE o.id = v.id AND o.version = v.locked_version
    RETURNING o.id
  ), history AS (
    INSERT INTO order_status_history (order_id, from_status, to_status, reason, causing_event_id)
    SELECT order_id, from_status::"OrderStatus", to_status::"OrderStatus", reason, causing_event_id
    FROM unnest($10::uuid[], $11::text[], $12::text[], $13::text[], $14::text[])
      AS h(order_id, from_status, to_status, reason, causing_event_id)
  ), effects AS (
    INSERT INTO order_effects (order_id, kind, reference, amount, currency, event_id)
    SELECT order_id, kind::order_effect_kind, reference, amount, currency, event_id
    FROM unnest($15::uuid[], $16::text[], $17::text[], $18::bigint[], $19::text[], $20::text[])
      AS e(order_id, kind, reference, amount, currency, event_id)
  ), outbox AS (
    INSERT INTO outbox (event_id, order_id, topic, key, payload, traceparent)
    SELECT event_id, order_id, topic, order_id::text, payload, traceparent
    FROM unnest($21::uuid[], $22::uuid[], $23::text[], $24::jsonb[], $25::text[])
      AS e(event_id, order_id, topic, payload, traceparent)
  ), outcomes AS (
    UPDATE processed_events p SET outcome = v.outcome
    FROM unnest($26::text[], $27::text[]) AS v(event_id, outcome) WHERE p.event_id = v.event_id
  )
  SELECT count(*)::int AS updated FROM updated`;

interface SagaOrderRow {
  id: string;
  status: SagaOrder['status'];
  customer_id: string;
  currency: string;
  total_amount: string;
  failure_reason: string | null;
  payment_id: string | null;
  paid_amount: string | null;
  reservation_id: string | null;
  version: number;
  items: { productId: string; quantity: number }[];
  effects: { kind: 'payment' | 'reservation'; reference: string }[];
}

function toSagaOrder(row: SagaOrderRow): SagaOrder {
  const known = (kind: 'payment' | 'reservation') =>
    new Set(row.effects.filter((effect) => effect.kind === kind).map((e) => e.reference));
  return {
    id: row.id,
    status: row.status,
    customerId: row.customer_id,
    currency: row.currency,
    totalAmount: Number(row.total_amount),
    failureReason: row.failure_reason,
    paymentId: row.payment_id,
    paidAmount: row.paid_amount === null ? null : Number(row.paid_amount),
    reservationId: row.reservation_id,
    version: row.version,
    items: row.items,
    knownPayments: known('payment'),
    knownReservations: known('reservation'),
  };
}

/**
 * One transaction's work. Reads go to Postgres at once; writes are collected and sent together
 * when the work is done (a few statements whatever the number of changes), so a batch of
 * replies costs about as many round trips as one.
 */
class PgUnitOfWork implements SagaUnitOfWork {
  /** Per order: its version when locked, and how it is after every change so far. */
  private readonly changed = new Map<string, { lockedVersion: number; change: SagaChange }>();
  private readonly history: SagaChange[] = [];
  private readonly outcomes = new Map<string, EventOutcome>();
  /** Whether a flush wrote outbox rows: after commit, the relay has work. */
  wroteOutbox = false;

  constructor(private readonly client: pg.PoolClient) {}

  async lockOrders(orderIds: readonly string[]): Promise<Map<string, SagaOrder>> {
    // In id order, so two transactions locking the same orders cannot deadlock.
    const { rows } = await this.client.query<SagaOrderRow>(
      `${SAGA_ORDER_SELECT} WHERE o.id = ANY($1::uuid[]) ORDER BY o.id FOR UPDATE OF o`,
      [[...orderIds].sort()],
    );
    return new Map(rows.map((row) => [row.id, toSagaOrder(row)]));
  }

  async lockDueOrders(now: Date, limit: number): Promise<SagaOrder[]> {
    const { rows } = await this.client.query<SagaOrderRow>(
      `${SAGA_ORDER_SELECT} WHERE o.step_deadline_at <= $1
       ORDER BY o.step_deadline_at LIMIT $2 FOR UPDATE OF o SKIP LOCKED`,
      [now, limit],
    );
    return rows.map(toSagaOrder);
  }

  async claimEvents(events: readonly InboundEventRef[]): Promise<EventClaim[]> {
    if (events.length === 0) return [];
    const { rows: inserted } = await this.client.query<{ event_id: string }>(
      `INSERT INTO processed_events (event_id, topic, order_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [events.map((e) => e.eventId), events.map((e) => e.topic), events.map((e) => e.orderId)],
    );
    const fresh = new Set(inserted.map((row) => row.event_id));
    const seenBefore = events.filter((e) => !fresh.has(e.eventId)).map((e) => e.eventId);
    const { rows: seen } = await (seenBefore.length === 0
      ? Promise.resolve({ rows: [] as { event_id: string; topic: string; order_id: string }[] })
      : this.client.query<{ event_id: string; topic: string; order_id: string }>(
          `SELECT event_id, topic, order_id FROM processed_events WHERE event_id = ANY($1::text[])`,
          [seenBefore],
        ));
    const earlier = new Map(seen.map((row) => [row.event_id, row]));
    return events.map((event): EventClaim => {
      if (fresh.delete(event.eventId)) {
        // A second delivery in this same batch compares with this first one.
        earlier.set(event.eventId, {
          event_id: event.eventId,
          topic: event.topic,
          order_id: event.orderId,
        });
        return { kind: 'fresh' };
      }
      const row = earlier.get(event.eventId);
      return row && row.topic === event.topic && row.order_id === event.orderId
        ? { kind: 'duplicate' }
        : {
            kind: 'collision',
            seen: { topic: row?.topic ?? 'unknown', orderId: row?.order_id ?? null },
          };
    });
  }

  async releaseClaims(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.client.query(`DELETE FROM processed_events WHERE event_id = ANY($1::text[])`, [
      [...eventIds],
    ]);
  }

  async save(change: SagaChange): Promise<void> {
    const earlier = this.changed.get(change.order.id);
    this.changed.set(change.order.id, {
      lockedVersion: earlier?.lockedVersion ?? change.order.version,
      change,
    });
    this.history.push(change);
  }

  async recordOutcome(eventId: string, outcome: EventOutcome): Promise<void> {
    this.outcomes.set(eventId, outcome);
  }

  async recordOperatorActions(actions: readonly OperatorAction[]): Promise<void> {
    if (actions.length === 0) return;
    const { text, values } = insertOperatorActions(actions);
    await this.client.query(text, values);
  }

  async view(orderId: string) {
    await this.flush();
    const { rows } = await this.client.query<OrderViewRow>(`${ORDER_VIEW_SELECT} WHERE o.id = $1`, [
      orderId,
    ]);
    return rows[0] ? toOrderViewFromRow(rows[0]) : null;
  }

  /**
   * Sends the collected writes (orders, history, effects, outbox, outcomes) as one statement:
   * one round trip instead of one per table, each of which kept the transaction, its row locks
   * and its connection open a little longer.
   */
  async flush(): Promise<void> {
    if (this.changed.size === 0 && this.history.length === 0 && this.outcomes.size === 0) return;
    const orders = [...this.changed.values()].map(({ lockedVersion, change }) => {
      const { order, decision, stepDeadlineAt } = change;
      const { changes } = decision;
      return {
        id: order.id,
        status: changes.status,
        failureReason: changes.failureReason ?? order.failureReason,
        paymentId: changes.paymentId ?? order.paymentId,
        paidAmount: changes.paidAmount ?? order.paidAmount,
        reservationId: changes.reservationId ?? order.reservationId,
        stepDeadlineAt,
        lockedVersion,
        version: order.version + 1,
      };
    });
    const changes = this.history;
    const effects = changes.flatMap((c) =>
      c.decision.effect ? [{ orderId: c.order.id, effect: c.decision.effect }] : [],
    );
    // Rows in the order written: the relay publishes one order's events in this order.
    const events = changes.flatMap((c) =>
      c.decision.emit.map((event) => ({
        orderId: c.order.id,
        event,
        // The handling of the reply that caused it (or the active context): the trace goes on.
        traceparent: traceparentForRow(c.causingEventId),
      })),
    );
    const { rows } = await this.client.query<{ updated: number }>({
      name: 'saga-writes',
      text: SAGA_WRITES,
      values: [
        orders.map((o) => o.id),
        orders.map((o) => o.status),
        orders.map((o) => o.failureReason),
        orders.map((o) => o.paymentId),
        orders.map((o) => o.paidAmount),
        orders.map((o) => o.reservationId),
        orders.map((o) => o.stepDeadlineAt),
        orders.map((o) => o.lockedVersion),
        orders.map((o) => o.version),
        changes.map((c) => c.order.id),
        changes.map((c) => (c.order.status === 'NEW' ? null : c.order.status)),
        changes.map((c) => c.decision.changes.status),
        changes.map((c) => c.decision.reason),
        changes.map((c) => c.causingEventId),
        effects.map((e) => e.orderId),
        effects.map((e) => e.effect.kind),
        effects.map((e) => e.effect.reference),
        effects.map((e) => (e.effect.kind === 'payment' ? e.effect.amount : null)),
        effects.map((e) => (e.effect.kind === 'payment' ? e.effect.currency : null)),
        effects.map((e) => e.effect.eventId),
        events.map((e) => e.event.payload.eventId),
        events.map((e) => e.orderId),
        events.map((e) => e.event.topic),
        events.map((e) => JSON.stringify(e.event.payload)),
        events.map((e) => e.traceparent),
        [...this.outcomes.keys()],
        [...this.outcomes.values()],
      ],
    });
    // The rows are locked, so this only fires if something bypassed the lock.
    if (rows[0]?.updated !== orders.length) {
      throw new ConcurrentUpdateError(
        `Orders changed concurrently: ${orders.map((o) => o.id).join(', ')}`,
      );
    }
    if (events.length > 0) this.wroteOutbox = true;
    this.changed.clear();
    this.history.length = 0;
    this.outcomes.clear();
  }
}

export interface SagaRepositoryOptions {
  /** Called after a commit that wrote outbox rows: the relay has work. */
  onOutboxWritten?: () => void;
}

/**
 * The SagaStore in plain SQL on the client's pool (the saga's hot path: Prisma's per-query cost
 * was most of the consumer's CPU). Each unit of work is one transaction on one connection.
 */
export function createSagaRepository(
  db: Database,
  { onOutboxWritten }: SagaRepositoryOptions = {},
): SagaStore {
  const pool = poolOf(db);
  return translateDatabaseErrors<SagaStore>({
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // Checked out, the client's connection errors come to us, not to the pool: without a
      // listener a broken connection would crash the process.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const unit = new PgUnitOfWork(client);
        const result = await work(unit);
        await unit.flush();
        await client.query('COMMIT');
        if (unit.wroteOutbox) onOutboxWritten?.();
        return result;
      } catch (error) {
        // A connection that broke or stopped answering is dropped, not asked to roll back
        // (Postgres rolls back what it holds when the session ends).
        if (isDatabaseUnavailable(error)) broken ??= error as Error;
        else {
          await client.query('ROLLBACK').catch((rollbackError: Error) => {
            broken = rollbackError;
          });
        }
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
  });
}
