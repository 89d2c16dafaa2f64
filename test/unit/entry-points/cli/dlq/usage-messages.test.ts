import { parseDlqArguments } from '../../../../../src/entry-points/cli/dlq/arguments';
import { UsageError } from '../../../../../src/entry-points/cli/dlq/cli-errors';

describe('order-dlq command line errors, from commander', () => {
  test.each([
    [['help', 'purge'], 'unknown command "purge" (expected list, show, replay or skip)'],
    [['show', 't', '--jsn'], 'unknown option --jsn (did you mean --json?)'],
    [['show', 't', '-1'], 'unexpected argument "-1"'],
    [['replay', '', '--all'], 'replay needs a <topic>'],
    [['--reason', 'why'], 'a command is required: list, show, replay or skip'],
  ])('when the arguments are %j, then it refuses them with "%s"', (args, message) => {
    expect(() => parseDlqArguments(args)).toThrow(new UsageError(message));
  });
});
