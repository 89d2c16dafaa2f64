import { Command, Option } from 'commander';
import { UsageError } from './cli-errors';
import { parseOffsetRange, type Selector } from './selectors';

export type DlqCommand =
  | { name: 'help' }
  | { name: 'list'; json: boolean }
  | { name: 'show'; topic: string; limit: number; json: boolean; selector: Selector }
  | {
      name: 'replay';
      topic: string;
      selector: Selector;
      dryRun: boolean;
      includeHandled: boolean;
      /** Given as --all: the empty selector on purpose. */
      all: boolean;
      /** Why: required unless a dry run, written to the audit with DLQ_ACTOR. */
      reason?: string;
    }
  | { name: 'skip'; topic: string; selector: Selector; dryRun: boolean; reason?: string };

export const USAGE = `Usage: npm run dlq -- <command> [options]   (or: order-dlq <command> [options])

Commands:
  list                        each dead-letter topic under KAFKA_TOPIC_PREFIX, its record count
                              and how many records are still to handle
  show <topic>                the records with their error headers; the value decoded through
                              the schema registry where possible, else as hex
  replay <topic>              re-publish records to their original topic with their original key,
                              value and headers (plus dlq-replayed-from/-at), and mark them replayed
  skip <topic>                mark records handled without replaying them

<topic> is a dead-letter topic (e.g. staging.payment_successful_dlq) or its source topic name
without the prefix (payment_successful). Only the dead-letter topics of the topics this service
consumes, under KAFKA_TOPIC_PREFIX, are accepted; any other topic is refused.

Selectors (show, replay, skip; combined with AND, a repeated option matches any of its values):
  --offset A..B               DLQ offsets A to B inclusive (also A.., ..B or A), in every
                              partition unless --partition is given
  --partition N               only DLQ partition N
  --error-class C             dlq-error-class header, e.g. unknown-order (repeatable)
  --order-id X                the record key, i.e. the order id (repeatable)

Options:
  --limit N                   show: at most N records (default 100)
  --json                      list, show: JSON instead of a table
  --dry-run                   replay, skip: say what would be done and do nothing
  --include-handled           replay: also records already replayed or skipped
  --all                       replay: every record (replay without a selector is refused)
  --reason TEXT               replay, skip: why; required unless --dry-run
  -h, --help                  this text

replay and skip only select records not yet handled. Handled records are kept in the database
table dead_letter_actions; each replay and skip appends who (DLQ_ACTOR, required), why (--reason)
and what came of it to the table operator_audit. Environment: DLQ_ACTOR, DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
KAFKA_TOPIC_PREFIX, and as for the service KAFKA_SSL*, KAFKA_SASL_* and SCHEMA_REGISTRY_USERNAME,
_PASSWORD, _CA_FILE, _CERT_FILE, _KEY_FILE (see README, Configuration).
`;

type CommandName = Exclude<DlqCommand['name'], 'help'>;
type OptionName =
  'limit' | 'json' | SelectorOption | 'dry-run' | 'include-handled' | 'all' | 'reason';
type SelectorOption = 'offset' | 'partition' | 'error-class' | 'order-id';

const SELECTOR_OPTIONS: SelectorOption[] = ['offset', 'partition', 'error-class', 'order-id'];
const ALLOWED: Record<CommandName, OptionName[]> = {
  list: ['json'],
  show: ['limit', 'json', ...SELECTOR_OPTIONS],
  replay: ['dry-run', 'include-handled', 'all', 'reason', ...SELECTOR_OPTIONS],
  skip: ['dry-run', 'reason', ...SELECTOR_OPTIONS],
};
const DEFAULT_SHOW_LIMIT = 100;

/** What commander stores, by its camel-cased names; values are checked after parsing. */
interface OptionValues {
  help?: true;
  json?: true;
  dryRun?: true;
  includeHandled?: true;
  all?: true;
  limit?: string;
  reason?: string;
  offset?: string;
  partition?: string;
  errorClass?: string[];
  orderId?: string[];
}

/** The command line (without `node` and the script) to a command; UsageError when it is wrong. */
export function parseDlqArguments(argv: string[]): DlqCommand {
  const { values, given, positionals } = readCommandLine(argv);
  if (values.help) return { name: 'help' };
  const [name, topic, ...extra] = positionals;
  if (name === undefined) throw new UsageError('a command is required: list, show, replay or skip');
  if (!isCommandName(name)) {
    throw new UsageError(`unknown command "${name}" (expected list, show, replay or skip)`);
  }
  const refused = given.find((option) => option !== 'help' && !ALLOWED[name].includes(option));
  if (refused) throw new UsageError(`${name} does not take --${refused}`);

  if (name === 'list') {
    if (topic !== undefined) throw new UsageError(`list takes no argument (got "${topic}")`);
    return { name, json: values.json ?? false };
  }
  if (topic === undefined || topic === '') throw new UsageError(`${name} needs a <topic>`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const selector = parseSelector(values);
  switch (name) {
    case 'show':
      return {
        name,
        topic,
        selector,
        json: values.json ?? false,
        limit:
          values.limit === undefined
            ? DEFAULT_SHOW_LIMIT
            : positiveInteger('--limit', values.limit),
      };
    case 'replay':
      return {
        name,
        topic,
        selector,
        dryRun: values.dryRun ?? false,
        includeHandled: values.includeHandled ?? false,
        all: checkAll(selector, values.all ?? false),
        ...reasonOf(name, values),
      };
    case 'skip':
      return { name, topic, selector, dryRun: values.dryRun ?? false, ...reasonOf(name, values) };
  }
}

/**
 * commander splits the command line into options with their values, operands and unknown
 * options. Every option is declared once for the whole tool, so options may come before the
 * command (`--dry-run skip t`) and `--help` wins wherever it stands; which command takes which
 * option, and whether a value makes sense, is checked afterwards. The help text is USAGE, not
 * commander's, and commander neither prints nor exits: every complaint is one UsageError.
 */
function readCommandLine(argv: string[]) {
  const program = new Command()
    .helpOption(false)
    .configureOutput({ outputError: () => undefined })
    .exitOverride((error) => {
      // The one error parseOptions raises itself: an option that takes a value ends the line.
      throw new UsageError(
        error.code === 'commander.optionMissingArgument'
          ? `${argv.at(-1)} needs a value`
          : error.message,
      );
    });
  const value = (flag: string) => (text: string) => optionValue(argv, flag, text);
  const repeatable = (flag: string) => (text: string, previous: string[] | undefined) => [
    ...(previous ?? []),
    optionValue(argv, flag, text),
  ];
  program
    .addOption(new Option('-h, --help'))
    .addOption(new Option('--json'))
    .addOption(new Option('--dry-run'))
    .addOption(new Option('--include-handled'))
    .addOption(new Option('--all'))
    .addOption(new Option('--limit <n>').argParser(value('--limit')))
    .addOption(new Option('--reason <text>').argParser(value('--reason')))
    .addOption(new Option('--offset <range>').argParser(value('--offset')))
    .addOption(new Option('--partition <n>').argParser(value('--partition')))
    .addOption(new Option('--error-class <class>').argParser(repeatable('--error-class')))
    .addOption(new Option('--order-id <id>').argParser(repeatable('--order-id')));
  /** The options on the command line, in the order they first appear. */
  const given = new Set<OptionName | 'help'>();
  for (const option of program.options) {
    program.on(`option:${option.name()}`, () => given.add(option.name() as OptionName | 'help'));
  }

  const { operands, unknown } = program.parseOptions(argv);
  // commander takes `-1` for an operand; before `--` it is an unknown option, as it always was.
  const literal = argv.includes('--') ? argv.length - argv.indexOf('--') - 1 : 0;
  const optionLike = operands
    .slice(0, operands.length - literal)
    .find((operand) => operand.length > 1 && operand.startsWith('-'));
  const firstUnknown = optionLike ?? unknown[0];
  if (firstUnknown !== undefined) {
    // `--json=yes` is left unknown because --json takes no value; `-xh` names -x first.
    const flag = firstUnknown.startsWith('--')
      ? (firstUnknown.split('=')[0] as string)
      : firstUnknown.slice(0, 2);
    const known = program.options.some((option) => option.long === flag);
    throw new UsageError(
      known && firstUnknown.includes('=')
        ? `${flag} does not take a value`
        : `unknown option ${flag}`,
    );
  }
  return { values: program.opts<OptionValues>(), given: [...given], positionals: operands };
}

/**
 * A value that looks like an option is a forgotten value (`--order-id --dry-run`), unless it
 * was given with `=` (`--order-id=-x`).
 */
function optionValue(argv: string[], flag: string, text: string): string {
  if (text.length > 1 && text.startsWith('-') && !argv.includes(`${flag}=${text}`)) {
    throw new UsageError(`${flag} needs a value`);
  }
  return text;
}

function parseSelector(values: OptionValues): Selector {
  const selector: Selector = {};
  if (values.offset !== undefined) selector.offsets = parseOffsetRange(values.offset);
  if (values.partition !== undefined) {
    selector.partition = wholeNumber('--partition', values.partition);
  }
  if (values.errorClass) selector.errorClasses = nonEmpty('--error-class', values.errorClass);
  if (values.orderId) selector.orderIds = nonEmpty('--order-id', values.orderId);
  return selector;
}

/**
 * Replaying a whole topic re-sends every record in it to the service: a decision, never the
 * effect of a forgotten selector. So replay takes a selector, or --all, not both.
 */
function checkAll(selector: Selector, all: boolean): boolean {
  const selected = Object.keys(selector).length > 0;
  if (all && selected) throw new UsageError('--all selects every record: give it or selectors');
  if (!all && !selected) {
    throw new UsageError(
      'replay needs a selector (--offset, --partition, --error-class, --order-id) or --all',
    );
  }
  return all;
}

/** A change is audited with its reason: required, except for a dry run, which changes nothing. */
function reasonOf(name: 'replay' | 'skip', values: OptionValues): { reason?: string } {
  const reason = values.reason?.trim();
  if (values.reason !== undefined && !reason) throw new UsageError('--reason needs a value');
  if (reason !== undefined && /[\p{Cc}\p{Cf}]/u.test(reason)) {
    throw new UsageError('--reason must be printable text');
  }
  if (reason === undefined && !values.dryRun) {
    throw new UsageError(`${name} needs --reason "<why>": it is written to the operators' audit`);
  }
  return reason === undefined ? {} : { reason: reason.slice(0, 500) };
}

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(ALLOWED, name);
}

function wholeNumber(option: string, text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${option} must be a whole number (got "${text}")`);
  }
  return Number(text);
}

function positiveInteger(option: string, text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${option} must be a positive whole number (got "${text}")`);
  }
  return value;
}

function nonEmpty(option: string, values: string[]): string[] {
  if (values.some((value) => value.trim() === '')) throw new UsageError(`${option} needs a value`);
  return values;
}
