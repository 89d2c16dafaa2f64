import { randomUUID } from 'node:crypto';
import { createPeerSimulator, type PeerConnection, type PeerSimulator } from './peer-runtime';
import { paymentOutcome, validateOutcomeSettings, type OutcomeSettings } from './simulator-rules';

/**
 * Plays the payment service: takes process_payment_request and answers payment_successful or
 * payment_failed (or nothing; see simulator-rules.ts), and refunds every refund_payment_request
 * with payment_refunded.
 */
export function createPaymentSimulator(
  connection: PeerConnection,
  settings: OutcomeSettings,
): PeerSimulator {
  const { logger } = connection;
  return createPeerSimulator(connection, {
    name: 'payment',
    consumes: ['process_payment_request', 'refund_payment_request'],
    replies: ['payment_successful', 'payment_failed', 'payment_refunded'],
    settings: validateOutcomeSettings(settings),
    answer(topic, request, random) {
      const orderId = request.orderId;
      if (topic === 'refund_payment_request') {
        return { topic: 'payment_refunded', fields: { orderId, paymentId: request.paymentId } };
      }
      const amount = Number(request.amount);
      const outcome = paymentOutcome(amount, settings.successRate, random());
      switch (outcome.kind) {
        case 'succeed':
          return {
            topic: 'payment_successful',
            fields: {
              orderId,
              paymentId: `pay-${randomUUID()}`,
              amount: outcome.taken,
              currency: request.currency,
            },
          };
        case 'fail':
          return { topic: 'payment_failed', fields: { orderId, reason: outcome.reason } };
        case 'silent':
          logger.info('payment request left unanswered (simulated)', { orderId, amount });
          return null;
      }
    },
  });
}
