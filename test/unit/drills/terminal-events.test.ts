import { checkTerminalEvents } from '../../../drills/terminal-events';
import type { RawRecord } from '../../support/raw-topic-reader';

const PREFIX = 'drill.';

function event(topic: string, orderId: string, eventId: string, offset = '0'): RawRecord {
  return {
    topic: `${PREFIX}${topic}`,
    partition: 0,
    offset,
    timestamp: '0',
    producerId: '0',
    key: Buffer.from(orderId),
    value: Buffer.from('x'),
    headers: { 'event-id': eventId },
  };
}

describe('terminal events held to each order final state (drills/terminal-events.ts)', () => {
  test('when each ended order has its one event (a redelivery counting once), then nothing is reported', () => {
    const { violations, count } = checkTerminalEvents(
      PREFIX,
      [
        { id: 'a', status: 'CONFIRMED' },
        { id: 'b', status: 'FAILED' },
        { id: 'c', status: 'CANCELLED' },
        { id: 'd', status: 'PENDING' },
      ],
      [
        event('order_confirmed', 'a', 'e1'),
        event('order_confirmed', 'a', 'e1', '1'),
        event('order_failed', 'b', 'e2'),
        event('order_cancelled', 'c', 'e3'),
        event('process_payment_request', 'd', 'e4'), // not a terminal topic
      ],
    );
    expect(violations).toEqual([]);
    expect(count).toBe(3);
  });

  test('when an event is missing, on the wrong topic, doubled, early, or for no order, then each is reported', () => {
    const { violations } = checkTerminalEvents(
      PREFIX,
      [
        { id: 'missing', status: 'CONFIRMED' },
        { id: 'wrong', status: 'CANCELLED' },
        { id: 'twice', status: 'FAILED' },
        { id: 'early', status: 'INVENTORY_RESERVING' },
      ],
      [
        event('order_failed', 'wrong', 'e1'),
        event('order_failed', 'twice', 'e2'),
        event('order_failed', 'twice', 'e3'),
        event('order_confirmed', 'early', 'e4'),
        event('order_cancelled', 'stranger', 'e5'),
      ],
    );
    expect(violations).toEqual([
      expect.stringContaining('order missing is CONFIRMED; its terminal events: none'),
      expect.stringContaining('order wrong is CANCELLED; its terminal events: order_failed'),
      expect.stringContaining(
        'order twice is FAILED; its terminal events: order_failed, order_failed',
      ),
      expect.stringContaining(
        'order early is INVENTORY_RESERVING; its terminal events: order_confirmed',
      ),
      'terminal event for an unknown order stranger',
    ]);
  });
});
