import { parseArgs } from 'node:util';
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
    }
  | { name: 'skip'; topic: string; selector: Selector; dryRun: boolean };

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
without the prefix (payment_successful).

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
  -h, --help                  this text

replay and skip only select records not yet handled. Handled records are kept in the database
table dead_letter_actions. Environment: DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
KAFKA_TOPIC_PREFIX, and as for the service KAFKA_SSL*, KAFKA_SASL_* and SCHEMA_REGISTRY_USERNAME,
_PASSWORD, _CA_FILE, _CERT_FILE, _KEY_FILE (see README, Configuration).
`;

const OPTIONS = {
  limit: { type: 'string' },
  json: { type: 'boolean' },
  offset: { type: 'string' },
  partition: { type: 'string' },
  'error-class': { type: 'string', multiple: true },
  'order-id': { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  'include-handled': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;
const SELECTOR_OPTIONS: OptionName[] = ['offset', 'partition', 'error-class', 'order-id'];
const ALLOWED: Record<Exclude<DlqCommand['name'], 'help'>, OptionName[]> = {
  list: ['json'],
  show: ['limit', 'json', ...SELECTOR_OPTIONS],
  replay: ['dry-run', 'include-handled', ...SELECTOR_OPTIONS],
  skip: ['dry-run', ...SELECTOR_OPTIONS],
};
const DEFAULT_SHOW_LIMIT = 100;

/** The command line (without `node` and the script) to a command; UsageError when it is wrong. */
export function parseDlqArguments(argv: string[]): DlqCommand {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parseErrorMessage(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { name: 'help' };
  const [name, topic, ...extra] = positionals;
  if (name === undefined) throw new UsageError('a command is required: list, show, replay or skip');
  if (!isCommandName(name)) {
    throw new UsageError(`unknown command "${name}" (expected list, show, replay or skip)`);
  }
  const given = (Object.keys(values) as OptionName[]).filter((key) => values[key] !== undefined);
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
        dryRun: values['dry-run'] ?? false,
        includeHandled: values['include-handled'] ?? false,
      };
    case 'skip':
      return { name, topic, selector, dryRun: values['dry-run'] ?? false };
  }
}

function parseSelector(values: {
  offset?: string;
  partition?: string;
  'error-class'?: string[];
  'order-id'?: string[];
}): Selector {
  const selector: Selector = {};
  if (values.offset !== undefined) selector.offsets = parseOffsetRange(values.offset);
  if (values.partition !== undefined) {
    selector.partition = wholeNumber('--partition', values.partition);
  }
  if (values['error-class'])
    selector.errorClasses = nonEmpty('--error-class', values['error-class']);
  if (values['order-id']) selector.orderIds = nonEmpty('--order-id', values['order-id']);
  return selector;
}

function isCommandName(name: string): name is keyof typeof ALLOWED {
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

/** node:util's messages, shortened to what the operator typed and what is wrong with it. */
function parseErrorMessage(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(message ?? '')?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = quoted?.split(' ')[0] ?? 'an option';
      return /does not take/.test(message ?? '')
        ? `${option} does not take a value`
        : `${option} needs a value`;
    }
    default:
      return (message ?? String(error)).split('\n')[0] as string;
  }
}
