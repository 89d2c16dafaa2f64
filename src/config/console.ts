import { z } from 'zod';
import { documented, optional, type SettingsOf } from './documented-keys';

/** The operator console on the admin port (`/console/`): its pool and its limits. */
export const consoleKeys = {
  CONSOLE_DATABASE_POOL_SIZE: documented(z.coerce.number().int().min(1).max(50).default(3), {
    group: 'console',
    description:
      "connections for the operator console: a pool of its own, so heavy console use never takes the API's or the saga's connections",
  }),
  CONSOLE_STUCK_AFTER_SECONDS: documented(z.coerce.number().int().min(1).default(3_600), {
    group: 'console',
    description:
      'the console counts a saga as stuck when it is not terminal past its step deadline, or older than this many seconds',
  }),
  CONSOLE_BULK_ACTION_LIMIT: documented(z.coerce.number().int().min(1).max(10_000).default(500), {
    group: 'console',
    description:
      "most dead letters one bulk replay or skip may act on; a group larger than this is refused, so a mistake's reach is bounded",
  }),
  CONSOLE_MAX_CONCURRENT_REQUESTS: documented(z.coerce.number().int().min(1).max(20).default(2), {
    group: 'console',
    description:
      "console API requests served at once by this instance; more wait their turn (up to 50, then 503 `console-busy`), so operators' heavy use cannot take the cores the API needs",
  }),
  CONSOLE_SUMMARY_MAX_AGE_SECONDS: documented(z.coerce.number().int().min(0).max(300).default(5), {
    group: 'console',
    description:
      "how old the overview's database figures and the failure-group lists may be when served: each is computed at most once per this many seconds and shared by every operator (0: always fresh), so open consoles cost the database a bounded amount; an operator's action refreshes them",
  }),
  CONSOLE_TRACE_URL_TEMPLATE: documented(
    optional(
      z
        .string()
        .refine((value) => value.includes('{traceId}'), 'must contain {traceId}')
        .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL'),
    ),
    {
      group: 'console',
      description:
        "link from an order's journey to its trace, e.g. `https://jaeger.example/trace/{traceId}`; unset: no link",
    },
  ),
};

export type ConsoleSettings = SettingsOf<typeof consoleKeys>;

export function consoleOptions(config: ConsoleSettings) {
  return {
    databasePoolSize: config.CONSOLE_DATABASE_POOL_SIZE,
    settings: {
      stuckAfterSeconds: config.CONSOLE_STUCK_AFTER_SECONDS,
      bulkActionLimit: config.CONSOLE_BULK_ACTION_LIMIT,
      maxConcurrentRequests: config.CONSOLE_MAX_CONCURRENT_REQUESTS,
      summaryMaxAgeSeconds: config.CONSOLE_SUMMARY_MAX_AGE_SECONDS,
      traceUrlTemplate: config.CONSOLE_TRACE_URL_TEMPLATE,
    },
  };
}
