import {
  describeSelector,
  matchesSelector,
  parseOffsetRange,
  type SelectableRecord,
} from '../../../../../src/entry-points/cli/dlq/selectors';
import { UsageError } from '../../../../../src/entry-points/cli/dlq/cli-errors';

const record = (overrides: Partial<SelectableRecord> = {}): SelectableRecord => ({
  partition: 1,
  offset: '10',
  key: 'order-1',
  errorClass: 'unknown-order',
  ...overrides,
});

describe('DLQ record selectors', () => {
  test.each([
    ['7', { from: 7n, to: 7n }],
    ['3..9', { from: 3n, to: 9n }],
    ['3..', { from: 3n }],
    ['..9', { to: 9n }],
    ['5..5', { from: 5n, to: 5n }],
    ['9007199254740993', { from: 9007199254740993n, to: 9007199254740993n }],
  ])('when the offset range is "%s", then it covers %j', (text, range) => {
    expect(parseOffsetRange(text)).toEqual(range);
  });

  test.each(['', '..', 'a', '1..b', '1...3', '1..2..3', '-1', '9..3', ' 1'])(
    'when the offset range is "%s", then it is refused',
    (text) => {
      expect(() => parseOffsetRange(text)).toThrow(UsageError);
    },
  );

  test('when no criterion is given, then every record matches', () => {
    expect(matchesSelector({}, record())).toBe(true);
    expect(describeSelector({})).toBe('all records');
  });

  test('when an offset range is given, then its bounds are inclusive', () => {
    const selector = { offsets: { from: 10n, to: 12n } };

    expect(
      ['9', '10', '12', '13'].map((offset) => matchesSelector(selector, record({ offset }))),
    ).toEqual([false, true, true, false]);
  });

  test('when several criteria are given, then all must hold, and a list matches any of its values', () => {
    const selector = {
      partition: 1,
      errorClasses: ['unknown-order', 'invalid-record'],
      orderIds: ['order-1', 'order-2'],
    };

    expect(matchesSelector(selector, record())).toBe(true);
    expect(
      matchesSelector(selector, record({ errorClass: 'invalid-record', key: 'order-2' })),
    ).toBe(true);
    expect(matchesSelector(selector, record({ partition: 0 }))).toBe(false);
    expect(matchesSelector(selector, record({ errorClass: 'Error' }))).toBe(false);
    expect(matchesSelector(selector, record({ errorClass: undefined }))).toBe(false);
    expect(matchesSelector(selector, record({ key: null }))).toBe(false);
  });

  test('when a selector is described, then it reads as the options that make it', () => {
    expect(
      describeSelector({
        partition: 2,
        offsets: { from: 3n },
        errorClasses: ['unknown-order'],
        orderIds: ['o-1'],
      }),
    ).toBe('--partition 2 --offset 3.. --error-class unknown-order --order-id o-1');
    expect(describeSelector({ offsets: { from: 4n, to: 4n } })).toBe('--offset 4');
  });
});
