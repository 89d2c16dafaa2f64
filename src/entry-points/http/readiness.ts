import { errorMessage } from '../../shared/app-error';
/** A dependency readiness asks about; `ok` false makes the service not ready. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail?: unknown }>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: unknown }>;
  /** State worth seeing that does not decide readiness (breaker, relay leadership, consumer). */
  details: Record<string, unknown>;
}

export interface Readiness {
  report(): Promise<ReadinessReport>;
  /** From now on not ready, whatever the checks say: the service is shutting down. */
  markStopping(): void;
  isStopping(): boolean;
}

const CHECK_TIMEOUT_MS = 2_000;
/** Probes (a load balancer, several of them, an attacker) cost the database one query per this. */
export const READINESS_CACHE_MS = 1_000;

/**
 * Runs the checks at most once per `cacheMs`, however many probes arrive: probes share the run
 * in flight (a hanging database never gets a second one), and its result for `cacheMs` after it
 * came. `details` is read fresh each time (it is in memory).
 */
export function createReadiness(
  checks: readonly ReadinessCheck[],
  details: () => Record<string, unknown> = () => ({}),
  { cacheMs = READINESS_CACHE_MS, now = () => Date.now() } = {},
): Readiness {
  let latest: { results: Promise<ReadinessReport['checks']>; settledAt?: number } | undefined;
  const runChecks = () => {
    const run: NonNullable<typeof latest> = {
      results: Promise.all(checks.map(runCheck)).then((results) => {
        run.settledAt = now();
        return Object.fromEntries(results.map(({ name, ...result }) => [name, result]));
      }),
    };
    return run;
  };
  let stopping = false;
  return {
    markStopping() {
      stopping = true;
    },
    isStopping: () => stopping,
    async report() {
      // At once, not after the cached checks expire: a load balancer must stop sending now.
      if (stopping) {
        return {
          ready: false,
          checks: { shutdown: { ok: false, detail: 'shutting down' } },
          details: details(),
        };
      }
      const stale = latest?.settledAt !== undefined && now() - latest.settledAt >= cacheMs;
      if (!latest || stale) latest = runChecks();
      const results = await latest.results;
      return {
        ready: Object.values(results).every((result) => result.ok),
        checks: results,
        details: details(),
      };
    },
  };
}

async function runCheck({ name, check }: ReadinessCheck) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: false; detail: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: 'timed out' }), CHECK_TIMEOUT_MS);
  });
  try {
    return { name, ...(await Promise.race([check(), timeout])) };
  } catch (error) {
    return { name, ok: false, detail: errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}
