import type { Command, CommanderError } from 'commander';

/**
 * commander's complaint about a command line, as the one line operators and their scripts have
 * always read (`dlq: <this> (see --help)`, exit code 2). commander's own wording is kept for
 * any complaint not listed here.
 */
export function usageMessage(program: Command, error: CommanderError, argv: string[]): string {
  const names = program.commands
    .map((command) => command.name())
    .filter((name) => name !== 'help')
    .join(', ')
    .replace(/, (?=[^,]*$)/, ' or ');
  const [given] = program.args;
  const command = program.commands.find((candidate) => candidate.name() === given);
  switch (error.code) {
    case 'commander.help': // no command at all, or `help purge`: help as an error
      return given === undefined
        ? `a command is required: ${names}`
        : `unknown command "${program.args.at(-1)}" (expected ${names})`;
    case 'commander.unknownCommand':
      return `unknown command "${given}" (expected ${names})`;
    case 'commander.missingArgument':
      return `${given} needs a <topic>`;
    case 'commander.excessArguments': {
      const expected = command?.registeredArguments.length ?? 0;
      const extra = command?.args[expected];
      return expected === 0
        ? `${given} takes no argument (got "${extra}")`
        : `unexpected argument "${extra}"`;
    }
    case 'commander.optionMissingArgument': // only ever the last word: nothing follows it
      return `${argv.at(-1)} needs a value`;
    case 'commander.unknownOption':
      return unknownOption(program, command, error.message, names);
    default:
      return error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  }
}

/**
 * `--json=yes` is unknown to commander because --json takes no value; an option of another
 * command is named as such (before any command, it means none was given); commander's guess at
 * what was meant is kept.
 */
function unknownOption(
  program: Command,
  command: Command | undefined,
  message: string,
  names: string,
) {
  const arg = /^error: unknown option '(.*)'/.exec(message)?.[1] ?? '';
  const flag = arg.startsWith('--') ? (arg.split('=')[0] as string) : arg.slice(0, 2);
  const takes = (candidate: Command) =>
    candidate.options.some((option) => option.long === flag || option.short === flag);
  if (program.commands.some(takes)) {
    if (!command) return `a command is required: ${names}`;
    if (takes(command)) return `${flag} does not take a value`;
    return `${command.name()} does not take ${flag}`;
  }
  const guess = /\(Did you mean (\S+)\?\)/.exec(message)?.[1];
  return `unknown option ${flag}${guess ? ` (did you mean ${guess}?)` : ''}`;
}
