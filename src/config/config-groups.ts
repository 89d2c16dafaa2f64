/**
 * The groups of keys, in the order docs/configuration.md and .env.example show them; `note`
 * says who reads them when that is more than the service. A part may span a group (http,
 * admin and process share the first), and a new part adds its group here.
 */
export const CONFIG_GROUPS = {
  http: { title: 'HTTP and the process' },
  auth: { title: 'Authentication and rate limit' },
  postgres: { title: 'Postgres' },
  kafka: {
    title: 'Kafka',
    note: "the service, `npm run dlq` and the tests' secured broker read the same connection keys",
  },
  registry: {
    title: 'Schema registry',
    note: 'the service, `npm run dlq` and `npm run schemas:register` read the same keys',
  },
  outbox: { title: 'Outbox relay' },
  breaker: { title: 'Circuit breaker around every Kafka send (opossum)' },
  saga: { title: 'Saga consumer, deadlines and retries' },
  operators: {
    title: 'Operator tools',
    note: '`npm run dlq` reads these, the service never does',
  },
  console: {
    title: 'Operator console',
    note: 'served on the admin port at `/console/` (docs/operations.md, "Console")',
  },
} as const satisfies Record<string, { title: string; note?: string }>;

export type ConfigGroup = keyof typeof CONFIG_GROUPS;
