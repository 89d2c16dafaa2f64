import type { TopicMessages } from 'kafkajs';
import {
  createDeadLetterPublisher,
  MAX_ERROR_MESSAGE,
} from '../../../src/messaging/dead-letter-publisher';
import { DLQ_HEADERS } from '../../../src/messaging/dead-letter-headers';
import { createLogger } from '../../../src/shared/logger';
import { createMetrics } from '../../../src/shared/metrics';

/**
 * The `dlq-error-message` header keeps at most 1,000 UTF-16 units of the error message, cut at
 * the boundary exactly and never through a surrogate pair. The producer is a recorder: what is
 * checked is the header the publisher hands to Kafka (poison-records.test.ts sends real ones).
 */
describe('dlq-error-message truncation', () => {
  async function headerFor(message: string): Promise<string> {
    const sent: TopicMessages[] = [];
    const publisher = createDeadLetterPublisher(
      { send: async (batch: TopicMessages[]) => void sent.push(...batch) } as never,
      { serviceVersion: 'test', metrics: createMetrics(), logger: createLogger('silent') },
    );
    await publisher.publish(
      {
        topic: 'payment_successful',
        partition: 0,
        message: { key: Buffer.from('o'), value: null, offset: '1', timestamp: '0', headers: {} },
        error: new Error(message),
        attempts: 1,
        firstFailedAt: new Date(),
      } as never,
      'group',
    );
    return sent[0]!.messages[0]!.headers![DLQ_HEADERS.errorMessage] as string;
  }

  const text = (length: number) =>
    Array.from({ length }, (_, index) => String.fromCharCode(97 + (index % 26))).join('');

  it('keeps 1,000 units', () => expect(MAX_ERROR_MESSAGE).toBe(1_000));

  it.each([1, 999, 1_000])('keeps a message of %i characters whole', async (length) => {
    const message = text(length);
    await expect(headerFor(message)).resolves.toBe(message);
  });

  it.each([1_001, 5_000])('cuts a message of %i characters to its first 1,000', async (length) => {
    const message = text(length);
    await expect(headerFor(message)).resolves.toBe(message.slice(0, 1_000));
  });

  it('does not split an emoji that straddles the boundary', async () => {
    const message = `${text(999)}😀tail`; // the emoji's two units are 1,000th and 1,001st
    await expect(headerFor(message)).resolves.toBe(text(999));
  });

  it('keeps an emoji that ends exactly at the boundary', async () => {
    const message = `${text(998)}😀tail`;
    await expect(headerFor(message)).resolves.toBe(`${text(998)}😀`);
  });

  it('keeps multibyte characters of one unit up to the boundary', async () => {
    const message = 'é'.repeat(1_001);
    await expect(headerFor(message)).resolves.toBe('é'.repeat(1_000));
  });
});
