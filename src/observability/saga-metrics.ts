import type { OrderStore } from '../domain/order-store';
import type { SagaDecision } from '../domain/saga-model';
import type { SagaStore, SagaUnitOfWork } from '../domain/saga-store';
import { SAGA_TRANSITIONS } from '../domain/saga-transitions';
import type { Metrics } from '../shared/metrics';

type AppliedDecision = Extract<SagaDecision, { kind: 'apply' }>;

/**
 * `saga_transitions_total{from,to,trigger}` has one series per row of the saga table, at 0 until
 * the row first applies: the labels come from the table, so they cannot drift from it.
 */
export function declareSagaTransitions(metrics: Metrics): void {
  for (const { from, to, trigger } of SAGA_TRANSITIONS) {
    metrics.sagaTransitions.inc({ from, to, trigger }, 0);
  }
}

/**
 * The saga store, counting each decision it saves once its transaction has committed (a
 * rolled-back decision did not happen). The domain stays free of metrics: it only says, in the
 * decision, which row applied.
 */
export function countingSagaStore(store: SagaStore, metrics: Metrics): SagaStore {
  return {
    async transaction(work) {
      let saved: AppliedDecision[] = [];
      const result = await store.transaction((unit) => {
        saved = []; // a store may run `work` again after a conflict
        return work(countingUnit(unit, saved));
      });
      for (const decision of saved) {
        metrics.sagaTransitions.inc({
          from: decision.from,
          to: decision.changes.status,
          trigger: decision.trigger,
        });
      }
      return result;
    },
  };
}

function countingUnit(unit: SagaUnitOfWork, saved: AppliedDecision[]): SagaUnitOfWork {
  return {
    lockOrders: (orderIds) => unit.lockOrders(orderIds),
    lockDueOrders: (now, limit) => unit.lockDueOrders(now, limit),
    claimEvents: (events) => unit.claimEvents(events),
    releaseClaims: (eventIds) => unit.releaseClaims(eventIds),
    async save(change) {
      await unit.save(change);
      saved.push(change.decision);
    },
    recordOutcome: (eventId, outcome) => unit.recordOutcome(eventId, outcome),
    recordOperatorActions: (actions) => unit.recordOperatorActions(actions),
    view: (orderId) => unit.view(orderId),
  };
}

const PLACE_ORDER = SAGA_TRANSITIONS.find((row) => row.trigger === 'place_order');

/** The order store, counting each order it stores: `orders_created_total` and intake's row. */
export function countingOrderStore(orders: OrderStore, metrics: Metrics): OrderStore {
  if (!PLACE_ORDER) throw new Error('the saga table has no row for place_order');
  const { from, to, trigger } = PLACE_ORDER;
  return {
    async insertNewOrder(order, events) {
      const stored = await orders.insertNewOrder(order, events);
      metrics.ordersCreated.inc();
      metrics.sagaTransitions.inc({ from, to, trigger });
      return stored;
    },
    findByIdempotencyKey: (customerId, key) => orders.findByIdempotencyKey(customerId, key),
    findById: (id) => orders.findById(id),
    list: (query) => orders.list(query),
  };
}
