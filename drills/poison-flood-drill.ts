// Drill 6: random and malformed records on every consumed topic, among the valid replies. The
// consumer must never stop, each poison record must be dead-lettered exactly once (the shared
// check counts copies per source offset), and the valid sagas must complete. The poison is no
// fault window for intake: 90 % of the orders must be accepted all along.
import { randomBytes } from 'node:crypto';
import { createKafka } from '../src/messaging/kafka-client-factory';
import { CONSUMED_TOPICS, physicalTopic } from '../src/messaging/topics';
import { createLogger } from '../src/shared/logger';
import { underLoad, sleep, type Drill } from './drill';
import { between, pick, type Random } from './seeded-random';

/** A Confluent frame: magic byte 0, a 4-byte schema id, then the Avro body. */
function frame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

const POISON: Array<(random: Random) => Buffer | null> = [
  (random) => randomBytes(between(random, 1, 300)), // noise
  () => null, // a tombstone
  () => Buffer.alloc(0),
  (random) => Buffer.from(JSON.stringify({ orderId: 'x', amount: between(random, 0, 9) })), // JSON, not Avro
  (random) => frame(between(random, 900_000, 999_999), randomBytes(40)), // unknown schema id
  (random) => frame(1, randomBytes(between(random, 0, 60))), // a known id, a garbage body
  () => Buffer.from([0, 0, 0]), // a truncated frame
];

export const poisonFloodDrill: Drill = {
  name: 'poison flood',
  async run(context) {
    const poisonCount = context.mode === 'long' ? 5_000 : 600;
    return underLoad(
      this.name,
      context,
      { ordersPerSecond: 15, minAcceptedShare: 0.9, settleTimeoutMs: 180_000 },
      async (stack) => {
        const producer = createKafka({
          clientId: 'drill-poison',
          brokers: stack.services.kafka.brokers,
          requestTimeoutMs: 10_000,
          logger: createLogger('silent'),
        }).producer();
        await producer.connect();
        try {
          for (let sent = 0; sent < poisonCount; sent += 50) {
            const messages = Array.from({ length: 50 }, () => ({
              topic: physicalTopic(stack.topicPrefix, pick(context.random, CONSUMED_TOPICS)),
              key: randomBytes(8).toString('hex'),
              value: pick(context.random, POISON)(context.random),
            }));
            const byTopic = new Map<string, typeof messages>();
            for (const message of messages)
              byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
            await producer.sendBatch({
              topicMessages: [...byTopic].map(([topic, list]) => ({
                topic,
                messages: list.map(({ key, value }) => ({ key, value })),
              })),
            });
            await sleep(200); // spread among the valid replies
          }
        } finally {
          await producer.disconnect();
        }
        await sleep(3_000);
        return {
          faults: `${poisonCount} poison records over the ${CONSUMED_TOPICS.length} consumed topics`,
        };
      },
    );
  },
};
