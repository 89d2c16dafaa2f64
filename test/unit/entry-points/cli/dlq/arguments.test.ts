import { parseDlqArguments } from '../../../../../src/entry-points/cli/dlq/arguments';
import { UsageError } from '../../../../../src/entry-points/cli/dlq/cli-errors';

describe('order-dlq command line', () => {
  test('when list is given, then it takes an optional --json', () => {
    expect(parseDlqArguments(['list'])).toEqual({ name: 'list', json: false });
    expect(parseDlqArguments(['list', '--json'])).toEqual({ name: 'list', json: true });
  });

  test('when show is given a topic only, then it shows up to 100 records of all as a table', () => {
    expect(parseDlqArguments(['show', 'payment_successful'])).toEqual({
      name: 'show',
      topic: 'payment_successful',
      limit: 100,
      json: false,
      selector: {},
    });
  });

  test('when replay is given every selector, then each one lands in the selector', () => {
    const command = parseDlqArguments([
      'replay',
      'payment_successful',
      '--offset',
      '3..9',
      '--partition',
      '2',
      '--error-class',
      'unknown-order',
      '--error-class',
      'invalid-record',
      '--order-id',
      'o-1',
      '--dry-run',
    ]);

    expect(command).toEqual({
      name: 'replay',
      topic: 'payment_successful',
      dryRun: true,
      includeHandled: false,
      all: false,
      selector: {
        offsets: { from: 3n, to: 9n },
        partition: 2,
        errorClasses: ['unknown-order', 'invalid-record'],
        orderIds: ['o-1'],
      },
    });
  });

  test('when replay is given --all and no selector, then it replays every record on purpose', () => {
    expect(
      parseDlqArguments(['replay', 't', '--all', '--include-handled', '--reason', 'fixed']),
    ).toEqual({
      name: 'replay',
      topic: 't',
      dryRun: false,
      includeHandled: true,
      all: true,
      reason: 'fixed',
      selector: {},
    });
  });

  test('when replay or skip changes something, then a reason is required; a dry run needs none', () => {
    expect(() => parseDlqArguments(['replay', 't', '--all'])).toThrow(
      new UsageError(`replay needs --reason "<why>": it is written to the operators' audit`),
    );
    expect(() => parseDlqArguments(['skip', 't', '--reason', '  '])).toThrow(
      new UsageError('--reason needs a value'),
    );
    expect(() => parseDlqArguments(['skip', 't', '--reason', 'ok\u202enot'])).toThrow(
      new UsageError('--reason must be printable text'),
    );
    expect(parseDlqArguments(['skip', 't', '--reason', ' poison, ticket 42 '])).toEqual({
      name: 'skip',
      topic: 't',
      dryRun: false,
      reason: 'poison, ticket 42',
      selector: {},
    });
    expect(parseDlqArguments(['replay', 't', '--all', '--dry-run'])).not.toHaveProperty('reason');
  });

  test('when options come before the command, then they still apply', () => {
    expect(parseDlqArguments(['--dry-run', 'skip', 't', '--offset', '4'])).toEqual({
      name: 'skip',
      topic: 't',
      dryRun: true,
      selector: { offsets: { from: 4n, to: 4n } },
    });
  });

  test('when --help is anywhere, then help wins over everything else', () => {
    expect(parseDlqArguments(['replay', '-h'])).toEqual({ name: 'help' });
    expect(parseDlqArguments(['--help', 'nonsense'])).toEqual({ name: 'help' });
  });

  test.each([
    [[], 'a command is required: list, show, replay or skip'],
    [['list', 'extra'], 'list takes no argument (got "extra")'],
    [['delete', 't'], 'unknown command "delete" (expected list, show, replay or skip)'],
    [['replay'], 'replay needs a <topic>'],
    [['skip', 't', 'u'], 'unexpected argument "u"'],
    [['show', 't', '--limit', '0'], '--limit must be a positive whole number (got "0")'],
    [['show', 't', '--limit', '2.5'], '--limit must be a positive whole number (got "2.5")'],
    [['show', 't', '--limit'], '--limit needs a value'],
    [['show', 't', '--json=yes'], '--json does not take a value'],
    [['replay', 't', '--partition', '-1'], '--partition needs a value'],
    [['replay', 't', '--partition', 'one'], '--partition must be a whole number (got "one")'],
    [['replay', 't', '--error-class', ' '], '--error-class needs a value'],
    [['replay', 't', '--limit', '3'], 'replay does not take --limit'],
    [['skip', 't', '--json'], 'skip does not take --json'],
    [['list', '--order-id', 'x'], 'list does not take --order-id'],
    [['show', 't', '-x'], 'unknown option -x'],
    [
      ['replay', 't'],
      'replay needs a selector (--offset, --partition, --error-class, --order-id) or --all',
    ],
    [
      ['replay', 't', '--dry-run', '--include-handled'],
      'replay needs a selector (--offset, --partition, --error-class, --order-id) or --all',
    ],
    [['replay', 't', '--all', '--offset', '3'], '--all selects every record: give it or selectors'],
    [['skip', 't', '--all'], 'skip does not take --all'],
    [['show', 't', '--all'], 'show does not take --all'],
  ])('when the arguments are %j, then it refuses them with "%s"', (args, message) => {
    expect(() => parseDlqArguments(args)).toThrow(new UsageError(message));
  });
});
