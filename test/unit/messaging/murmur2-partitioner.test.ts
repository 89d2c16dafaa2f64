import { randomBytes, randomUUID } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { producerSettings } from '../../../src/messaging/kafka-client-factory';
import { Murmur2Partitioner, murmur2 } from '../../../src/messaging/murmur2-partitioner';

const partitions = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

/** Which partition a message goes to, as the partitioner decides for a 12-partition topic. */
function partitionOf(
  create: typeof Murmur2Partitioner,
  key: string | Buffer | null,
  partitionCount = 12,
): number {
  return create()({
    topic: 'orders',
    partitionMetadata: partitions(partitionCount),
    message: { key, value: null },
  });
}

describe('murmur2: the Java client hash an order id is partitioned by', () => {
  // The vectors of Kafka's own UtilsTest.testMurmur2, so agreement with Java is checked here,
  // not only agreement with kafkajs.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('when the key is %s, then the hash is what the Java client computes', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  it('when keys of every length up to 70 bytes are hashed, then each lands where kafkajs puts it', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (let length = 0; length <= 70; length++) {
      for (const key of [
        randomBytes(length),
        randomBytes(length).toString('base64').slice(0, length),
      ]) {
        for (const partitionCount of [1, 3, 12, 64]) {
          const expected = kafkajs({
            topic: 'orders',
            partitionMetadata: partitions(partitionCount),
            message: { key, value: null },
          });
          expect([key, partitionOf(Murmur2Partitioner, key, partitionCount)]).toEqual([
            key,
            expected,
          ]);
        }
      }
    }
  });

  it('when string keys are not ASCII, then their UTF-8 bytes are hashed, as Java hashes them', () => {
    for (const key of ['ñandú-42', 'заказ-7', '注文-😀', 'x'.repeat(300) + 'é', randomUUID()]) {
      expect(partitionOf(Murmur2Partitioner, key)).toBe(
        partitionOf(Partitioners.DefaultPartitioner, Buffer.from(key, 'utf8')),
      );
    }
  });
});

describe('Murmur2Partitioner: kafkajs default partitioning, with the faster hash', () => {
  it('when a message names its partition, then that partition is used', () => {
    const partitioner = Murmur2Partitioner();
    const partition = partitioner({
      topic: 'orders',
      partitionMetadata: partitions(12),
      message: { key: randomUUID(), value: null, partition: 7 },
    });
    expect(partition).toBe(7);
  });

  it('when messages have no key, then they go round the partitions that have a leader', () => {
    const partitioner = Murmur2Partitioner();
    const chosen = Array.from({ length: 8 }, () =>
      partitioner({
        topic: 'orders',
        partitionMetadata: partitions(4, [1]),
        message: { key: null, value: null },
      }),
    );
    expect(new Set(chosen)).toEqual(new Set([0, 2, 3]));
    for (let i = 1; i < chosen.length; i++) expect(chosen[i]).not.toBe(chosen[i - 1]);
  });

  it('when the service produces, then its settings use this partitioner', () => {
    expect(producerSettings(true).createPartitioner).toBe(Murmur2Partitioner);
  });
});
