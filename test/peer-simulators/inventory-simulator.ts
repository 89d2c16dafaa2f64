import { randomUUID } from 'node:crypto';
import { createPeerSimulator, type PeerConnection, type PeerSimulator } from './peer-runtime';
import {
  reservationOutcome,
  validateOutcomeSettings,
  type OutcomeSettings,
} from './simulator-rules';

/**
 * Plays the inventory service: takes reserve_inventory_request and answers inventory_reserved
 * or inventory_reservation_failed (or nothing; see simulator-rules.ts). A
 * release_inventory_request has no reply topic: it is acknowledged by a log line only.
 */
export function createInventorySimulator(
  connection: PeerConnection,
  settings: OutcomeSettings,
): PeerSimulator {
  const { logger } = connection;
  return createPeerSimulator(connection, {
    name: 'inventory',
    consumes: ['reserve_inventory_request', 'release_inventory_request'],
    replies: ['inventory_reserved', 'inventory_reservation_failed'],
    settings: validateOutcomeSettings(settings),
    answer(topic, request, random) {
      const orderId = request.orderId;
      if (topic === 'release_inventory_request') {
        logger.info('reservation released (simulated)', {
          orderId,
          reservationId: request.reservationId,
        });
        return null;
      }
      const items = (request.items ?? []) as { productId: string }[];
      const outcome = reservationOutcome(
        items.map((item) => item.productId),
        settings.successRate,
        random(),
      );
      switch (outcome.kind) {
        case 'succeed':
          return {
            topic: 'inventory_reserved',
            fields: { orderId, reservationId: `res-${randomUUID()}` },
          };
        case 'fail':
          return {
            topic: 'inventory_reservation_failed',
            fields: { orderId, reason: outcome.reason },
          };
        case 'silent':
          logger.info('reservation request left unanswered (simulated)', { orderId });
          return null;
      }
    },
  });
}
