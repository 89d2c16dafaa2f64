#!/usr/bin/env node
/**
 * The operator's tool for dead-letter topics (`<topic>_dlq`, written by the saga consumer):
 *
 *   npm run dlq -- list
 *   npm run dlq -- show payment_successful --error-class unknown-order --json
 *   npm run dlq -- replay payment_successful --order-id 6f1c… --dry-run
 *   npm run dlq -- skip payment_successful --offset 10..20
 *   npm run dlq -- --help, npm run dlq -- replay --help   (commander's help: dlq/arguments.ts)
 *
 * Reads DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL and KAFKA_TOPIC_PREFIX, and the same
 * TLS, SASL and registry credential keys as the service (dlq/cli-config.ts). Results go
 * to stdout, progress to stderr. Exit 0 on success; 2 with one line on stderr for a bad command
 * line; 1 with one line on stderr for anything else (bad configuration, unknown topic,
 * unreachable broker or database). Never a stack trace.
 *
 * "Handled" (replayed or skipped) is kept in the service's database, table dead_letter_actions:
 * see src/data-access/dead-letter-actions-repository.ts.
 */
import { KafkaJSError } from 'kafkajs';
import { isDatabaseUnavailable } from '../../data-access/database-errors';
import { Prisma } from '../../generated/prisma/client';
import { parseDlqArguments, type DlqCommand } from './dlq/arguments';
import { ConfigError, insecureTransportWarnings, secretsOf } from '../../config';
import { createRedactor, redactErrorText, redactUrls } from '../../shared/redaction';
import { escapeLinesForTerminal } from '../../shared/terminal-text';
import { actorOf, loadDlqConfig, type DlqConfig } from './dlq/cli-config';
import { createDlqContext, type DlqContext, type Output } from './dlq/cli-context';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine, UsageError } from './dlq/cli-errors';
import { listCommand } from './dlq/list-command';
import { replayCommand } from './dlq/replay-command';
import { showCommand } from './dlq/show-command';
import { skipCommand } from './dlq/skip-command';

export async function runDlq(argv: string[], env: NodeJS.ProcessEnv, output: Output) {
  let command: DlqCommand;
  try {
    command = parseDlqArguments(argv, (help) => output.out(help.trimEnd()));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.err(escapeLinesForTerminal(`dlq: ${error.message} (see --help)`));
    return EXIT_USAGE;
  }
  if (command.name === 'help') return 0;
  let config: DlqConfig;
  try {
    config = loadDlqConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.err(escapeLinesForTerminal(`dlq: ${error.message}`));
    return EXIT_FAILURE;
  }
  for (const { message } of insecureTransportWarnings(config))
    output.err(escapeLinesForTerminal(`dlq: warning: ${message}`));
  // A driver's or registry's error may quote a connection string or a token, and a dead letter
  // holds the error text of its time: no secret reaches the terminal, on stdout or stderr. Nor
  // does a control or bidi character (the printers escape them; this is the net under them).
  const redact = createRedactor(secretsOf(config));
  const safe = (line: string) => escapeLinesForTerminal(redact(line));
  const safeOutput: Output = {
    out: (line) => output.out(safe(line)),
    err: (line) => output.err(safe(line)),
  };
  const context = createDlqContext(config, safeOutput);
  try {
    await execute(command, context);
    return 0;
  } catch (error) {
    safeOutput.err(`dlq: ${describeFailure(error, config)}`);
    return EXIT_FAILURE;
  } finally {
    await context.close();
  }
}

async function execute(command: Exclude<DlqCommand, { name: 'help' }>, context: DlqContext) {
  // Before anything connects: a change without an actor is refused outright.
  if ((command.name === 'replay' || command.name === 'skip') && !command.dryRun) {
    actorOf(context.config);
  }
  switch (command.name) {
    case 'list':
      return listCommand(context, command);
    case 'show':
      return showCommand(context, command);
    case 'replay':
      return replayCommand(context, command);
    case 'skip':
      return skipCommand(context, command);
  }
}

/** One line naming what failed, so the operator knows where to look. */
function describeFailure(error: unknown, config: DlqConfig): string {
  if (error instanceof CliError) return error.message;
  if (error instanceof KafkaJSError) {
    return `Kafka at ${config.KAFKA_BROKERS.join(',')} failed: ${oneLine(error)}`;
  }
  if (isDatabaseUnavailable(error)) {
    return `database at ${redactUrls(config.DATABASE_URL)} is not reachable: ${oneLine(error)}`;
  }
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    // P2021: a table is missing, i.e. dead_letter_actions was never migrated there.
    const hint = error.code === 'P2021' ? ' (apply the migrations: npm run db:migrate)' : '';
    return `database at ${redactUrls(config.DATABASE_URL)} failed: ${oneLine(error)}${hint}`;
  }
  return `unexpected error: ${oneLine(error)}`;
}

if (require.main === module) {
  const output: Output = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  // kafkajs can reject a promise nobody awaits while it tears a failed connection down: that is
  // still one line and a failure, not a stack trace.
  const bail = (error: unknown) => {
    output.err(escapeLinesForTerminal(redactErrorText(`dlq: unexpected error: ${oneLine(error)}`)));
    process.exit(EXIT_FAILURE);
  };
  process.on('unhandledRejection', bail);
  process.on('uncaughtException', bail);
  runDlq(process.argv.slice(2), process.env, output).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => bail(error),
  );
}
