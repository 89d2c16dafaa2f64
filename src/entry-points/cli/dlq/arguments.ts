import { Command, CommanderError } from 'commander';
import { UsageError } from './cli-errors';
import {
  appended,
  checkAll,
  nonEmptyTopic,
  reasonText,
  requiredReason,
  selectorOf,
  wholeNumber,
  type SelectorValues,
} from './option-values';
import type { ReplayOptions } from './replay-command';
import { parseOffsetRange } from './selectors';
import type { ShowOptions } from './show-command';
import type { SkipOptions } from './skip-command';
import { usageMessage } from './usage-messages';

export type DlqCommand =
  | { name: 'help' }
  | { name: 'list'; json: boolean }
  | ({ name: 'show' } & ShowOptions)
  /** `all`: given as --all, the empty selector on purpose. */
  | ({ name: 'replay'; all: boolean } & ReplayOptions)
  | ({ name: 'skip' } & SkipOptions);

/** What commander stores, by the options' camel-cased names, each value already parsed. */
interface OptionValues extends SelectorValues {
  json?: boolean;
  limit: number;
  dryRun?: boolean;
  includeHandled?: boolean;
  all?: boolean;
  reason?: string;
}

const AFTER_HELP = `
Each command's options: npm run dlq -- <command> --help

<topic> is a dead-letter topic (e.g. staging.payment_successful_dlq) or its
source topic name without the prefix (payment_successful). Only the dead-letter
topics of the topics this service consumes, under KAFKA_TOPIC_PREFIX, are
accepted; any other topic is refused.

replay and skip only select records not yet handled. Handled records are kept
in the database table dead_letter_actions; each replay and skip appends who
(DLQ_ACTOR, required), why (--reason) and what came of it to the table
operator_audit.

Environment: DLQ_ACTOR, DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
KAFKA_TOPIC_PREFIX, and as for the service KAFKA_SSL*, KAFKA_SASL_* and
SCHEMA_REGISTRY_USERNAME, _PASSWORD, _CA_FILE, _CERT_FILE, _KEY_FILE
(see docs/configuration.md).

Exit codes: 0 done; 2 a bad command line; 1 anything else (configuration,
topic, broker, database, registry). Each failure is one line on stderr.`;

/** Below replay's and skip's options: what a change needs. */
const AFTER_CHANGE_HELP = `
Only records not yet handled are selected (replay: unless --include-handled).
Unless --dry-run, DLQ_ACTOR (who you are) and --reason are required; both are
written to the operators' audit.`;

const TOPIC =
  'a dead-letter topic, or its source topic without the prefix (see npm run dlq -- --help)';
const SELECTORS = 'Selectors (combined with AND; a repeated option matches any of its values):';
const REASON = "why: written to the operators' audit with DLQ_ACTOR; required unless --dry-run";
const DRY_RUN = 'say what would be done and do nothing';
const JSON_OUTPUT = 'JSON instead of a table';

/**
 * The command line (without `node` and the script) to a command; UsageError when it is wrong.
 * Help (`-h`, `--help` or `help [command]`) goes to `writeHelp` in one piece (commander writes
 * it in parts; `| head` then ends the pipe after the first) and returns `{ name: 'help' }`.
 */
export function parseDlqArguments(
  argv: string[],
  writeHelp: (text: string) => void = () => undefined,
): DlqCommand {
  let parsed: DlqCommand | undefined;
  let help = '';
  const program = dlqProgram(
    (text) => (help += text),
    (command) => (parsed = command),
  );
  try {
    program.parse(normalized(program, argv), { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // commander.help with exit code 1 is help shown as an error: no command, or `help purge`.
    const helpAsked =
      error.code === 'commander.helpDisplayed' ||
      (error.code === 'commander.help' && error.exitCode === 0);
    if (helpAsked) {
      writeHelp(help);
      return { name: 'help' };
    }
    throw new UsageError(usageMessage(program, error, argv));
  }
  if (parsed === undefined) throw new UsageError('a command is required');
  return parsed;
}

/**
 * The tool as commander declares it. commander writes help to `writeHelp`, nothing else, and
 * never exits: a bad command line is thrown, as a CommanderError or as the UsageError of a
 * value's parser.
 */
function dlqProgram(writeHelp: (text: string) => void, done: (command: DlqCommand) => void) {
  const program = new Command('npm run dlq --')
    .usage('<command> [options]')
    .description("The operator's tool for dead-letter topics (also installed as order-dlq).")
    .configureOutput({ writeOut: writeHelp, writeErr: () => undefined, outputError: () => {} })
    .exitOverride()
    .addHelpText('after', AFTER_HELP);
  const withSelectors = (command: Command) =>
    command
      .optionsGroup(SELECTORS)
      .option(
        '--offset <range>',
        'DLQ offsets A to B inclusive (also A.., ..B or A), in every partition ' +
          'unless --partition is given',
        parseOffsetRange,
      )
      .option('--partition <n>', 'only DLQ partition N', wholeNumber('--partition'))
      .option(
        '--error-class <class>',
        'the dlq-error-class header, e.g. unknown-order',
        appended('--error-class'),
      )
      .option('--order-id <id>', 'the record key, i.e. the order id', appended('--order-id'))
      .optionsGroup('Options:');

  program
    .command('list')
    .description('each dead-letter topic, its record count and how many are still to handle')
    .option('--json', JSON_OUTPUT)
    .action(({ json = false }: OptionValues) => done({ name: 'list', json }));

  withSelectors(
    program
      .command('show')
      .description(
        'the records with their error headers; values decoded through the registry, else hex',
      )
      .argument('<topic>', TOPIC, nonEmptyTopic('show')),
  )
    .option('--limit <n>', 'at most N records', wholeNumber('--limit', 1), 100)
    .option('--json', JSON_OUTPUT)
    .action((topic: string, { limit, json = false, ...values }: OptionValues) =>
      done({ name: 'show', topic, limit, json, selector: selectorOf(values) }),
    );

  withSelectors(
    program
      .command('replay')
      .description(
        're-publish records to their original topic (key, value, headers, plus ' +
          'dlq-replayed-from/-at) and mark them replayed; needs a selector or --all',
      )
      .argument('<topic>', TOPIC, nonEmptyTopic('replay'))
      .addHelpText('after', AFTER_CHANGE_HELP),
  )
    .option('--all', 'every record (replay without a selector is refused)')
    .option('--include-handled', 'also records already replayed or skipped')
    .option('--reason <text>', REASON, reasonText)
    .option('--dry-run', DRY_RUN)
    .action((topic: string, values: OptionValues) => {
      const selector = selectorOf(values);
      const { dryRun = false, includeHandled = false } = values;
      const all = checkAll(selector, values.all ?? false);
      const reason = requiredReason('replay', values);
      done({ name: 'replay', topic, selector, dryRun, includeHandled, all, ...reason });
    });

  withSelectors(
    program
      .command('skip')
      .description('mark records handled without replaying them')
      .argument('<topic>', TOPIC, nonEmptyTopic('skip'))
      .addHelpText('after', AFTER_CHANGE_HELP),
  )
    .option('--reason <text>', REASON, reasonText)
    .option('--dry-run', DRY_RUN)
    .action((topic: string, values: OptionValues) => {
      const { dryRun = false } = values;
      const reason = requiredReason('skip', values);
      done({ name: 'skip', topic, selector: selectorOf(values), dryRun, ...reason });
    });
  return program;
}

/**
 * Three habits the tool kept from before commander: help wins wherever it stands (`replay t
 * --offset x -h` is replay's help, not a complaint); a value that looks like an option is a
 * forgotten value (`--order-id --dry-run`), unless given with `=` (`--order-id=-x`); and options
 * may come before the command (`--dry-run skip t` reads as `skip --dry-run t`).
 */
function normalized(program: Command, argv: string[]): string[] {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const takesValue = (arg: string | undefined) =>
    program.commands.some((command) =>
      command.options.some((option) => option.required && option.long === arg),
    );
  let at = 0;
  while (at < end && argv[at]?.startsWith('-')) at += takesValue(argv[at]) ? 2 : 1;
  const name = at < end ? argv[at] : undefined;
  const options = argv.slice(0, end);
  if (options.some((arg) => arg === '-h' || arg === '--help')) {
    return name === undefined ? ['--help'] : [name, '--help'];
  }
  const forgotten = options.findIndex((arg, i) => takesValue(arg) && /^-./.test(argv[i + 1] ?? ''));
  if (forgotten >= 0) throw new UsageError(`${argv[forgotten]} needs a value`);
  if (at === 0 || name === undefined) return argv;
  return [name, ...argv.slice(0, at), ...argv.slice(at + 1)];
}
