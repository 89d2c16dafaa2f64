import {
  deadLetterGroupKey,
  normaliseErrorMessage,
  withGroup,
  type DeadLetterEntry,
} from '../../../src/domain/dead-letter-index';

describe('dead-letter grouping: one group per topic, error class and masked message', () => {
  test.each([
    [
      'order 3f2504e0-4f89-11d3-9a0c-0305e82c3301: amount 1899 does not match 1900.5',
      'order <uuid>: amount <n> does not match <n>',
    ],
    ['unknown sku-123 in pay-42abc', 'unknown <id> in <id>'],
    ['event a1b2c3d4e5f6a7b8 seen', 'event <id> seen'],
    ['Record too large (1048577 bytes)', 'Record too large (<n> bytes)'],
    ['  two\n  lines ', 'two lines'],
  ])('when the message is %j, then its pattern is %j', (message, pattern) => {
    expect(normaliseErrorMessage(message)).toBe(pattern);
  });

  test('when two messages differ only in ids and numbers, then they share a group; another class or topic does not', () => {
    const entry = (orderId: string, errorClass = 'unknown-order', topic = 'p.payment_successful') =>
      withGroup({
        originalTopic: topic,
        errorClass,
        errorMessage: `Order ${orderId} is not known (attempt 3)`,
      } as DeadLetterEntry);
    const a = entry('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    const b = entry('7c9e6679-7425-40de-944b-e07fc1f90ae7');
    expect(a.groupKey).toBe(b.groupKey);
    expect(a.groupKey).toMatch(/^[0-9a-f]{16}$/);
    expect(entry('x', 'not-confluent-avro').groupKey).not.toBe(a.groupKey);
    expect(entry('x', 'unknown-order', 'p.payment_failed').groupKey).not.toBe(a.groupKey);
    expect(deadLetterGroupKey('t', 'c', 'm')).toBe(deadLetterGroupKey('t', 'c', 'm'));
  });
});
