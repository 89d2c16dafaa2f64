// The peers' own books: what each simulated peer did, per order, as it did it (through the
// simulators' onEffect hook, which reports a request once per event id, as a peer that
// deduplicates by event id takes its effect once). The invariant check reads these, not the
// service's view of what the peers did.
import type { PeerEffect } from '../test/peer-simulators/peer-runtime';

export interface PeerLedger {
  /** process_payment_request effects: the payment decided (taken or refused) per request. */
  payments: Map<string, PeerEffect[]>;
  /** refund_payment_request effects. */
  refunds: Map<string, PeerEffect[]>;
  /** reserve_inventory_request effects. */
  reservations: Map<string, PeerEffect[]>;
  /** release_inventory_request effects (no reply: the simulator only logs them). */
  releases: Map<string, PeerEffect[]>;
  record(peer: 'payment' | 'inventory', effect: PeerEffect): void;
}

export function createPeerLedger(): PeerLedger {
  const payments = new Map<string, PeerEffect[]>();
  const refunds = new Map<string, PeerEffect[]>();
  const reservations = new Map<string, PeerEffect[]>();
  const releases = new Map<string, PeerEffect[]>();
  const books: Partial<Record<string, Map<string, PeerEffect[]>>> = {
    process_payment_request: payments,
    refund_payment_request: refunds,
    reserve_inventory_request: reservations,
    release_inventory_request: releases,
  };
  return {
    payments,
    refunds,
    reservations,
    releases,
    record(_peer, effect) {
      const book = books[effect.requestTopic];
      if (!book) return;
      const orderId = String(effect.request.orderId);
      book.set(orderId, [...(book.get(orderId) ?? []), effect]);
    },
  };
}
