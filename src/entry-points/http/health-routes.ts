import { Router } from 'express';
import type { Readiness } from './readiness';

/**
 * `/health` and `/ready` on the public port: a status word and a status code, nothing else. Why
 * the service is not ready (error texts, internal state) is on the admin port only.
 */
export function healthRoutes(readiness: Readiness): Router {
  const router = Router();

  // Liveness: the process answers; it says nothing about dependencies.
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Readiness: every dependency answers within a bound, so a load balancer can route around us.
  router.get('/ready', async (_req, res) => {
    const { ready } = await readiness.report();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });

  return router;
}
