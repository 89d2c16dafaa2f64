import { Router } from 'express';

/** A dependency `/ready` asks about; `ok` false makes the whole answer 503. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail?: unknown }>;
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * `details` adds state worth seeing that must not fail readiness: an open Kafka breaker does
 * not stop intake (orders wait in the outbox), so it is reported, not routed around.
 */
export function healthRoutes(
  checks: readonly ReadinessCheck[],
  details: () => Record<string, unknown> = () => ({}),
): Router {
  const router = Router();

  // Liveness: the process answers; it says nothing about dependencies.
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Readiness: every dependency answers within a bound, so a load balancer can route around us.
  router.get('/ready', async (_req, res) => {
    const results = await Promise.all(checks.map(runCheck));
    const ready = results.every((result) => result.ok);
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not ready',
      checks: Object.fromEntries(results.map(({ name, ...result }) => [name, result])),
      ...details(),
    });
  });

  return router;
}

async function runCheck({ name, check }: ReadinessCheck) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: false; detail: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: 'timed out' }), CHECK_TIMEOUT_MS);
  });
  try {
    return { name, ...(await Promise.race([check(), timeout])) };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
