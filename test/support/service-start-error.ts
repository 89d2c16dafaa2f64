/**
 * A local service (Postgres, the Kafka broker, the registry) that could not start, said in one
 * line that names what to do. The demo, the local stack and jest's global setup print only
 * `message`; `details` (a log tail) is for whoever looks further.
 */
export class ServiceStartError extends Error {
  override name = 'ServiceStartError';

  constructor(
    message: string,
    readonly details = '',
  ) {
    super(message);
    // One line is the whole story: jest and Node print `stack` when a set-up throws.
    this.stack = `${this.name}: ${message}`;
  }
}

/** The first line of an error's message: what the demo and the local stack print on failure. */
export function firstLineOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
