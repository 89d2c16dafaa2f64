import { errorMessage } from '../../../shared/app-error';

/** A bad command line: the operator's to fix. Exit code 2, with a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An expected failure (unknown topic, unreachable broker, ...): one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** One line, whatever the error: multi-line messages (Prisma's) keep their last, telling line. */
export function oneLine(error: unknown): string {
  const text = errorMessage(error);
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? (error instanceof Error ? error.name : 'unknown error'))
    .replace(/\s+/g, ' ')
    .slice(0, 500);
}
