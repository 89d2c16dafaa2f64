import { parseDlqArguments } from '../../../../../src/entry-points/cli/dlq/arguments';

describe('order-dlq option values', () => {
  test('when a value is given with =, then it may start with a dash', () => {
    expect(parseDlqArguments(['show', 't', '--order-id=-x', '--error-class=a'])).toMatchObject({
      selector: { orderIds: ['-x'], errorClasses: ['a'] },
    });
  });

  test('when an option with a value comes before the command, then its value stays its own', () => {
    expect(parseDlqArguments(['--reason', 'list', 'skip', 't', '--offset', '..7'])).toEqual({
      name: 'skip',
      topic: 't',
      dryRun: false,
      reason: 'list',
      selector: { offsets: { to: 7n } },
    });
  });

  test('when a reason is longer than 500 characters, then it is cut to 500', () => {
    const command = parseDlqArguments(['skip', 't', '--reason', 'x'.repeat(600)]);

    expect(command).toMatchObject({ reason: 'x'.repeat(500) });
  });
});
