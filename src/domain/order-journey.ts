import type { OrderStatus } from './order-status';
import {
  NEW_ORDER,
  SAGA_VOCABULARY,
  waitingStepOf,
  type SagaState,
  type SagaTrigger,
  type WaitingStep,
} from './saga-transitions';

/**
 * Everything that happened to one order, as the console's journey page shows it: one timeline
 * built from what the service stores (status history, outbox, processed events, effects,
 * deadlines, dead letters, operator audit). Times are ISO-8601 strings.
 */
export type JourneyEntry =
  | {
      kind: 'transition';
      at: string;
      from: SagaState;
      to: OrderStatus;
      /** Read back from the stored reason; null for a reason of another shape. */
      trigger: SagaTrigger | null;
      reason: string | null;
      /** The reply that caused it; null for commands (intake, cancel, deadline). */
      causingEventId: string | null;
      causingTopic: string | null;
    }
  | {
      kind: 'event-owed';
      at: string;
      eventId: string;
      topic: string;
      publishedAt: string | null;
      attempts: number;
      lastError: string | null;
    }
  | { kind: 'reply-consumed'; at: string; eventId: string; topic: string; outcome: string }
  | {
      kind: 'effect';
      at: string;
      effect: 'payment' | 'reservation';
      reference: string;
      /** Payments only: minor units of `currency`. */
      amount: string | null;
      currency: string | null;
      eventId: string | null;
    }
  | {
      kind: 'deadline-armed';
      at: string;
      step: WaitingStep;
      /** Known for the deadline armed now only: past due times are not stored. */
      dueAt: string | null;
    }
  | { kind: 'deadline-fired'; at: string; step: WaitingStep }
  | ({ kind: 'dead-letter'; at: string } & JourneyDeadLetter)
  | ({ kind: 'operator-action'; at: string } & JourneyOperatorAction);

export interface JourneyDeadLetter {
  dlqTopic: string;
  partition: number;
  offset: string;
  sourceTopic: string;
  errorClass: string;
  message: string;
  /** The failures page's group of the record. */
  groupKey: string;
  /** replayed, skipped, or null while not handled. */
  handled: string | null;
}

export interface JourneyOperatorAction {
  actor: string;
  role: string;
  via: string;
  action: string;
  target: string;
  reason: string;
  result: string;
}

/** What the data access reads for one order: rows as stored, times as ISO strings. */
export interface StoredJourney {
  order: {
    id: string;
    customerId: string;
    status: OrderStatus;
    currency: string;
    totalAmount: string;
    failureReason: string | null;
    paymentId: string | null;
    reservationId: string | null;
    stepDeadlineAt: string | null;
    version: number;
    createdAt: string;
    updatedAt: string;
  };
  transitions: {
    at: string;
    from: OrderStatus | null;
    to: OrderStatus;
    reason: string | null;
    causingEventId: string | null;
    causingTopic: string | null;
  }[];
  outbox: Omit<Extract<JourneyEntry, { kind: 'event-owed' }>, 'kind'>[];
  replies: Omit<Extract<JourneyEntry, { kind: 'reply-consumed' }>, 'kind'>[];
  effects: Omit<Extract<JourneyEntry, { kind: 'effect' }>, 'kind'>[];
  operatorActions: ({ at: string } & JourneyOperatorAction)[];
  /** W3C traceparent of the first outbox row that carries one (rows are pruned once published). */
  traceparent: string | null;
}

const TRIGGERS: readonly string[] = [...SAGA_VOCABULARY.replies, ...SAGA_VOCABULARY.commands];

/**
 * The trigger of a status change, read from the reason the saga stored with it (saga-decider's
 * reasonFor: `order placed`, or `[late ]<trigger>[ (detail)][; emits …]`). The history keeps no
 * trigger column, so this is the one place that parses it.
 */
export function triggerOfReason(reason: string | null): SagaTrigger | null {
  if (reason === null) return null;
  if (reason === 'order placed') return 'place_order';
  const word = /^(?:late )?([a-z_]+)/.exec(reason)?.[1];
  return word !== undefined && TRIGGERS.includes(word) ? (word as SagaTrigger) : null;
}

const ORDER_OF_KINDS: readonly JourneyEntry['kind'][] = [
  'reply-consumed',
  'effect',
  'transition',
  'deadline-fired',
  'deadline-armed',
  'event-owed',
  'dead-letter',
  'operator-action',
];

/** One timeline, oldest first; at the same instant, cause before effect. */
export function journeyTimeline(
  stored: StoredJourney,
  deadLetters: readonly ({ at: string } & JourneyDeadLetter)[],
): JourneyEntry[] {
  const entries: JourneyEntry[] = [
    ...stored.transitions.flatMap((t) => transitionEntries(t, stored)),
    ...stored.outbox.map((row) => ({ kind: 'event-owed' as const, ...row })),
    ...stored.replies.map((row) => ({ kind: 'reply-consumed' as const, ...row })),
    ...stored.effects.map((row) => ({ kind: 'effect' as const, ...row })),
    ...deadLetters.map((row) => ({ kind: 'dead-letter' as const, ...row })),
    ...stored.operatorActions.map((row) => ({ kind: 'operator-action' as const, ...row })),
  ];
  const rank = (entry: JourneyEntry) => ORDER_OF_KINDS.indexOf(entry.kind);
  return entries
    .map((entry, index) => ({ entry, index, time: Date.parse(entry.at) }))
    .sort((a, b) => a.time - b.time || rank(a.entry) - rank(b.entry) || a.index - b.index)
    .map(({ entry }) => entry);
}

/** A status change, with the deadline it fired (left a waiting step) and the one it armed. */
function transitionEntries(
  change: StoredJourney['transitions'][number],
  stored: StoredJourney,
): JourneyEntry[] {
  const from = change.from ?? NEW_ORDER;
  const trigger = triggerOfReason(change.reason);
  const entries: JourneyEntry[] = [{ kind: 'transition', ...change, from, trigger }];
  const leftStep = from === NEW_ORDER ? null : waitingStepOf(from);
  if (trigger === 'deadline_passed' && leftStep !== null) {
    entries.push({ kind: 'deadline-fired', at: change.at, step: leftStep });
  }
  const armed = waitingStepOf(change.to);
  if (armed !== null && from !== change.to) {
    const isCurrent = change === lastEntryInto(stored, change.to);
    const dueAt =
      isCurrent && stored.order.status === change.to ? stored.order.stepDeadlineAt : null;
    entries.push({ kind: 'deadline-armed', at: change.at, step: armed, dueAt });
  }
  return entries;
}

function lastEntryInto(stored: StoredJourney, status: OrderStatus) {
  return stored.transitions.filter((t) => t.to === status && t.from !== status).at(-1);
}

/** The trace of the order's journey, when a URL template (`…{traceId}…`) is configured. */
export function traceLink(template: string | undefined, traceparent: string | null): string | null {
  if (!template || !traceparent) return null;
  const traceId = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent)?.[1];
  if (!traceId || !/^https?:\/\//.test(template)) return null;
  return template.replaceAll('{traceId}', traceId);
}
