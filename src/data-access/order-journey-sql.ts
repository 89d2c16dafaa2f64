import type pg from 'pg';
import type { OrderStatus } from '../domain/order-status';
import type { StoredJourney } from '../domain/order-journey';
import { orderTarget } from '../domain/operator-audit';

/** An order a console search found, and which of its keys matched. */
export interface OrderSearchHit {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
  /** `order id`, `customer id`, `event id`, `payment id`, `reservation id`. */
  matchedBy: string[];
}

export const SEARCH_LIMIT = 50;
const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i;

/**
 * One statement per key, each on an index: orders by id and by customer, processed events and
 * outbox rows by event id, effects by reference (a payment's or a reservation's id); dead
 * letters by event id (a scan of the index, bounded by its size). A reply that names no known
 * order has no order to show, so it finds nothing.
 */
const SEARCH_SQL = `
  WITH hits(order_id, matched) AS (
    SELECT id, 'order id' FROM orders WHERE id = $2::uuid
    UNION ALL (SELECT id, 'customer id' FROM orders WHERE customer_id = $1
               ORDER BY created_at DESC, id DESC LIMIT $3)
    UNION ALL SELECT order_id, 'event id' FROM processed_events
               WHERE event_id = $1 AND order_id IS NOT NULL
    UNION ALL SELECT order_id, 'event id' FROM outbox WHERE event_id = $2::uuid
    UNION ALL SELECT order_id, kind::text || ' id' FROM order_effects WHERE reference = $1
    UNION ALL SELECT CASE WHEN order_id ~* $4 THEN order_id::uuid END, 'event id'
               FROM dead_letters WHERE event_id = $1
  )
  SELECT o.id AS "orderId", o.customer_id AS "customerId", o.status,
         o.created_at AS "createdAt", o.updated_at AS "updatedAt",
         array_agg(DISTINCT h.matched ORDER BY h.matched) AS "matchedBy"
  FROM hits h JOIN orders o ON o.id = h.order_id
  GROUP BY o.id ORDER BY o.created_at DESC, o.id DESC LIMIT $3`;

/**
 * One order and everything stored about it, in one round trip (one connection of the console's
 * small pool). Every subquery reads an index on the order id; operator actions by target.
 */
const JOURNEY_SQL = `
  SELECT json_build_object(
      'id', o.id, 'customerId', o.customer_id, 'status', o.status, 'currency', o.currency,
      'totalAmount', o.total_amount::text, 'failureReason', o.failure_reason,
      'paymentId', o.payment_id, 'reservationId', o.reservation_id,
      'stepDeadlineAt', o.step_deadline_at, 'version', o.version,
      'createdAt', o.created_at, 'updatedAt', o.updated_at) AS "order",
    (SELECT coalesce(json_agg(json_build_object(
        'at', h.created_at, 'from', h.from_status, 'to', h.to_status, 'reason', h.reason,
        'causingEventId', h.causing_event_id, 'causingTopic', p.topic) ORDER BY h.id), '[]')
       FROM order_status_history h LEFT JOIN processed_events p ON p.event_id = h.causing_event_id
      WHERE h.order_id = o.id) AS transitions,
    (SELECT coalesce(json_agg(json_build_object(
        'at', x.created_at, 'eventId', x.event_id, 'topic', x.topic,
        'publishedAt', x.published_at, 'attempts', x.attempts, 'lastError', x.last_error)
        ORDER BY x.id), '[]')
       FROM outbox x WHERE x.order_id = o.id) AS outbox,
    (SELECT x.traceparent FROM outbox x WHERE x.order_id = o.id AND x.traceparent IS NOT NULL
      ORDER BY x.id LIMIT 1) AS traceparent,
    (SELECT coalesce(json_agg(json_build_object(
        'at', p.processed_at, 'eventId', p.event_id, 'topic', p.topic, 'outcome', p.outcome)
        ORDER BY p.processed_at), '[]')
       FROM processed_events p WHERE p.order_id = o.id) AS replies,
    (SELECT coalesce(json_agg(json_build_object(
        'at', e.received_at, 'effect', e.kind, 'reference', e.reference,
        'amount', e.amount::text, 'currency', e.currency, 'eventId', e.event_id)
        ORDER BY e.received_at), '[]')
       FROM order_effects e WHERE e.order_id = o.id) AS effects,
    (SELECT coalesce(json_agg(json_build_object(
        'at', a.at, 'actor', a.actor, 'role', a.role, 'via', a.via, 'action', a.action,
        'target', a.target, 'reason', a.reason, 'result', a.result) ORDER BY a.id), '[]')
       FROM operator_audit a WHERE a.target = ANY($2::text[])) AS "operatorActions"
  FROM orders o WHERE o.id = $1::uuid`;

/** An order in a status list: newest first, a page at a time. */
export interface OrderListed {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
  stepDeadlineAt: string | null;
}

/** Where a status list's next page starts: just after the last order of this one. */
export interface ListCursor {
  createdAt: string;
  orderId: string;
}

/** On orders' (status, created_at DESC, id DESC) index: a page costs its size, however deep. */
const LIST_BY_STATUS_SQL = `
  SELECT id::text AS "orderId", customer_id AS "customerId", status,
         created_at AS "createdAt", updated_at AS "updatedAt", step_deadline_at AS "stepDeadlineAt"
  FROM orders
  WHERE status = $1::"OrderStatus"
    AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
  ORDER BY created_at DESC, id DESC LIMIT $4`;

/** The console's reads for the journey page, on the console's own pool. */
export function createOrderJourneyQueries(pool: pg.Pool) {
  return {
    /** Orders whose id, customer id, event id, payment id or reservation id is `query`. */
    async search(query: string): Promise<OrderSearchHit[]> {
      const uuid = UUID.test(query) ? query.toLowerCase() : null;
      const { rows } = await pool.query<OrderSearchHit>(SEARCH_SQL, [
        query,
        uuid,
        SEARCH_LIMIT,
        UUID.source,
      ]);
      return rows.map((row) => ({
        ...row,
        createdAt: iso(row.createdAt),
        updatedAt: iso(row.updatedAt),
      }));
    },

    /** One page of the orders in `status`, newest first, starting after `after`. */
    async byStatus(
      status: OrderStatus,
      after: ListCursor | undefined,
      limit: number,
    ): Promise<OrderListed[]> {
      const { rows } = await pool.query<OrderListed>(LIST_BY_STATUS_SQL, [
        status,
        after?.createdAt ?? null,
        after?.orderId ?? null,
        limit,
      ]);
      return rows.map((row) => ({
        ...row,
        createdAt: iso(row.createdAt),
        updatedAt: iso(row.updatedAt),
        stepDeadlineAt: isoOrNull(row.stepDeadlineAt),
      }));
    },

    /**
     * The order's stored journey, or null for an unknown id. `otherTargets`: audit targets that
     * belong to the order besides `order:<id>` (its dead-lettered records).
     */
    async journey(orderId: string, otherTargets: readonly string[]): Promise<StoredJourney | null> {
      if (!UUID.test(orderId)) return null;
      const targets = [orderTarget(orderId.toLowerCase()), ...otherTargets];
      const { rows } = await pool.query<StoredJourney>(JOURNEY_SQL, [orderId, targets]);
      const row = rows[0];
      return row ? withIsoTimes(row) : null;
    },
  };
}

export type OrderJourneyQueries = ReturnType<typeof createOrderJourneyQueries>;

/** A time as Postgres gives it (a Date, or JSON's `…+00:00`) in `Date#toISOString()`'s form. */
const iso = (time: string | Date) => new Date(time).toISOString();
const isoOrNull = (time: string | Date | null) => (time === null ? null : iso(time));

/** The stored journey's times, each as `iso` gives it. */
function withIsoTimes(stored: StoredJourney): StoredJourney {
  const { order } = stored;
  return {
    ...stored,
    order: {
      ...order,
      createdAt: iso(order.createdAt),
      updatedAt: iso(order.updatedAt),
      stepDeadlineAt: isoOrNull(order.stepDeadlineAt),
    },
    transitions: stored.transitions.map((t) => ({ ...t, at: iso(t.at) })),
    outbox: stored.outbox.map((r) => ({
      ...r,
      at: iso(r.at),
      publishedAt: isoOrNull(r.publishedAt),
    })),
    replies: stored.replies.map((r) => ({ ...r, at: iso(r.at) })),
    effects: stored.effects.map((r) => ({ ...r, at: iso(r.at) })),
    operatorActions: stored.operatorActions.map((r) => ({ ...r, at: iso(r.at) })),
  };
}
