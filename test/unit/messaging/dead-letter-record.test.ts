import { createHash } from 'node:crypto';
import type { TopicMessages } from 'kafkajs';
import { DLQ_HEADERS } from '../../../src/messaging/dead-letter-headers';
import { createDeadLetterPublisher } from '../../../src/messaging/dead-letter-publisher';
import {
  capOriginalHeaders,
  DEAD_LETTER_LIMITS,
  stubDeadLetter,
} from '../../../src/messaging/dead-letter-record';
import { createLogger } from '../../../src/shared/logger';
import { createMetrics } from '../../../src/shared/metrics';

describe('what a dead letter copies of the failed record', () => {
  test('when the record has few small headers, then all are copied and nothing says dropped', () => {
    const headers = { 'event-id': 'e-1', traceparent: '00-abc-def-01' };
    expect(capOriginalHeaders(headers)).toEqual(headers);
  });

  test('when the record has more headers than the cap, then the first ones are kept and the rest are named as dropped', () => {
    const headers = Object.fromEntries(
      Array.from({ length: DEAD_LETTER_LIMITS.maxCopiedHeaders + 3 }, (_, i) => [`h${i}`, 'v']),
    );
    const capped = capOriginalHeaders(headers);
    const kept = Object.keys(capped).filter((name) => name !== DLQ_HEADERS.droppedHeaders);
    expect(kept).toHaveLength(DEAD_LETTER_LIMITS.maxCopiedHeaders);
    expect(capped[DLQ_HEADERS.droppedHeaders]).toBe(
      `3 dropped (over ${DEAD_LETTER_LIMITS.maxCopiedHeaders} headers or ${DEAD_LETTER_LIMITS.maxCopiedHeaderBytes} bytes): h64, h65, h66`,
    );
  });

  test('when one header is over the byte cap, then it alone is dropped and later small ones are kept', () => {
    const big = Buffer.alloc(DEAD_LETTER_LIMITS.maxCopiedHeaderBytes, 1);
    const capped = capOriginalHeaders({ a: 'x', huge: big, b: 'y' });
    expect(capped).toEqual({
      a: 'x',
      b: 'y',
      [DLQ_HEADERS.droppedHeaders]: expect.stringMatching(/^1 dropped .*: huge$/),
    });
  });

  test('when a stub is made, then it keeps our headers, the key, the first bytes, the hash and length of the value, and why', () => {
    const value = Buffer.alloc(5_000, 7);
    const stub = stubDeadLetter(
      Buffer.from('order-1'),
      value,
      { 'event-id': 'e-1' },
      { [DLQ_HEADERS.originalOffset]: '42' },
      { reason: 'refused (MESSAGE_TOO_LARGE)', valueBytes: 100 },
    );
    expect(stub.key?.toString()).toBe('order-1');
    expect(stub.value).toEqual(value.subarray(0, 100));
    expect(stub.headers).toEqual({
      [DLQ_HEADERS.originalOffset]: '42',
      [DLQ_HEADERS.stub]: 'refused (MESSAGE_TOO_LARGE)',
      [DLQ_HEADERS.valueSha256]: createHash('sha256').update(value).digest('hex'),
      [DLQ_HEADERS.valueBytes]: '5000',
      [DLQ_HEADERS.droppedHeaders]: expect.stringMatching(/: event-id$/),
    });
  });
});

describe('the dead-letter publisher', () => {
  /** The publisher with a recording producer that refuses batches over `maxBytes` of value. */
  function publisherRefusingOver(maxBytes: number) {
    const sent: TopicMessages[] = [];
    const metrics = createMetrics();
    const producer = {
      async send(batch: TopicMessages[]) {
        const size = batch[0]?.messages[0]?.value?.length ?? 0;
        if (size > maxBytes) {
          const refusal = Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
          throw new Error('send failed', { cause: refusal });
        }
        sent.push(...batch);
      },
    };
    const publisher = createDeadLetterPublisher(producer as never, {
      serviceVersion: 'test',
      metrics,
      logger: createLogger('silent'),
    });
    return { publisher, sent, metrics };
  }

  const failed = (value: Buffer, error: Error) =>
    ({
      topic: 'payment_successful',
      partition: 3,
      message: { key: Buffer.from('o-1'), value, offset: '9', timestamp: '0', headers: {} },
      error,
      attempts: 1,
      firstFailedAt: new Date(),
    }) as never;

  test('when the topic refuses the whole dead letter, then a stub is written and counted', async () => {
    const { publisher, sent, metrics } = publisherRefusingOver(2_000);
    await publisher.publish(failed(Buffer.alloc(10_000, 1), new Error('bad')), 'group');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.messages[0]?.headers?.[DLQ_HEADERS.stub]).toMatch(/MESSAGE_TOO_LARGE/);
    expect(sent[0]?.messages[0]?.value).toHaveLength(DEAD_LETTER_LIMITS.stubValueBytes);
    const stubs = await metrics.deadLetterStubs.get();
    expect(stubs.values).toEqual([
      { labels: { topic: 'payment_successful', reason: 'MESSAGE_TOO_LARGE' }, value: 1 },
    ]);
  });

  test('when even the stub is refused, then one without value bytes is written', async () => {
    const { publisher, sent } = publisherRefusingOver(500);
    await publisher.publish(failed(Buffer.alloc(10_000, 1), new Error('bad')), 'group');
    expect(sent[0]?.messages[0]?.value).toHaveLength(0);
    expect(sent[0]?.messages[0]?.headers?.[DLQ_HEADERS.valueBytes]).toBe('10000');
  });

  test('when the record has more headers than the cap, then the dead letter copies the first ones and names the rest', async () => {
    const { publisher, sent } = publisherRefusingOver(1_000_000);
    const headers = Object.fromEntries(
      Array.from({ length: DEAD_LETTER_LIMITS.maxCopiedHeaders + 1 }, (_, i) => [`h${i}`, 'v']),
    );
    const record = failed(Buffer.from('x'), new Error('bad')) as { message: object };
    await publisher.publish(
      { ...record, message: { ...record.message, headers } } as never,
      'group',
    );
    const written = sent[0]?.messages[0]?.headers ?? {};
    expect(written[`h${DEAD_LETTER_LIMITS.maxCopiedHeaders}`]).toBeUndefined();
    expect(written[DLQ_HEADERS.droppedHeaders]).toMatch(/^1 dropped .*: h64$/);
    expect(written[DLQ_HEADERS.errorClass]).toBe('Error');
  });

  test('when the error text quotes credentials, then the dlq-error-message header does not', async () => {
    const { publisher, sent } = publisherRefusingOver(1_000_000);
    const error = new Error(
      'registry at https://svc:hunter2@registry/ answered 500 (Authorization: Bearer abcdefghijkl)',
    );
    await publisher.publish(failed(Buffer.from('x'), error), 'group');
    const header = String(sent[0]?.messages[0]?.headers?.[DLQ_HEADERS.errorMessage]);
    expect(header).not.toContain('hunter2');
    expect(header).not.toContain('abcdefghijkl');
    expect(header).toContain('https://svc:[REDACTED]@registry/');
  });
});
