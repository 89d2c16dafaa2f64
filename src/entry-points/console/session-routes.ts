import express from 'express';

/**
 * GET /console/api/session: who the token names and which role it holds. The sign-in page
 * calls it to check a pasted token before keeping it.
 */
export function sessionRoutes(): express.Router {
  const router = express.Router();
  router.get('/', (req, res) => {
    res.json({ subject: req.consoleUser.subject, role: req.consoleUser.role });
  });
  return router;
}
