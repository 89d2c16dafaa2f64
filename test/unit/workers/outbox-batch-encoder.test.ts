import { randomUUID } from 'node:crypto';
import type { PendingOutboxMessage } from '../../../src/data-access/outbox-repository';
import {
  PayloadSchemaMismatchError,
  type EventEncoder,
} from '../../../src/messaging/event-encoder';
import { createBatchEncoder } from '../../../src/workers/outbox-batch-encoder';

const row = (orderId = randomUUID(), payload: object = { ok: true }): PendingOutboxMessage => ({
  id: String(Math.floor(Math.random() * 1e9)),
  eventId: randomUUID(),
  orderId,
  topic: 'process_payment_request',
  key: orderId,
  payload,
  headers: {},
  traceparent: null,
});

/** An encoder whose registry look-up is counted, and fails while `registryDown` is set. */
function stubEncoder() {
  const state = { registryDown: false, lookUps: 0 };
  const encoder: EventEncoder = {
    async forTopics() {
      state.lookUps++;
      if (state.registryDown) throw new Error('registry unreachable');
      return (_topic, payload) => {
        if (!('ok' in payload)) throw new PayloadSchemaMismatchError('payload does not fit');
        return Buffer.from('value');
      };
    },
  };
  return { encoder, state };
}

describe('createBatchEncoder: the relay only asks the registry when it has rows to send', () => {
  it('when a claim comes back empty while the registry is down, then it encodes to nothing and does not fail', async () => {
    const { encoder, state } = stubEncoder();
    state.registryDown = true;
    const encodeBatch = createBatchEncoder(encoder, 'prefix.');
    await expect(encodeBatch([])).resolves.toEqual({
      topicMessages: [],
      sendable: [],
      unencodable: [],
    });
    expect(state.lookUps).toBe(0);
  });

  it('when every row belongs to a held order, then the registry is not asked', async () => {
    const { encoder, state } = stubEncoder();
    const encodeBatch = createBatchEncoder(encoder, 'prefix.');
    const orderId = randomUUID();
    const first = await encodeBatch([row(orderId, { wrong: true }), row(orderId)]);
    expect(first.unencodable).toHaveLength(1);
    expect(first.sendable).toEqual([]); // the order's later row waits behind the bad one
    state.registryDown = true;
    const lookUpsBefore = state.lookUps;
    await expect(encodeBatch([row(orderId)])).resolves.toMatchObject({ sendable: [] });
    expect(state.lookUps).toBe(lookUpsBefore);
  });

  it('when the registry is down and rows wait, then the batch fails as a whole', async () => {
    const { encoder, state } = stubEncoder();
    state.registryDown = true;
    await expect(createBatchEncoder(encoder, 'prefix.')([row()])).rejects.toThrow(
      'registry unreachable',
    );
  });

  it('when rows encode, then each goes to its prefixed topic with the event headers', async () => {
    const { encoder } = stubEncoder();
    const pending = row();
    const { topicMessages, sendable } = await createBatchEncoder(encoder, 'prefix.')([pending]);
    expect(sendable).toEqual([pending.id]);
    expect(topicMessages).toEqual([
      {
        topic: 'prefix.process_payment_request',
        messages: [
          {
            key: pending.key,
            value: Buffer.from('value'),
            headers: { 'event-id': pending.eventId, 'event-type': 'process_payment_request' },
          },
        ],
      },
    ]);
  });
});
