import express, { type Request } from 'express';
import { createOperatorAuditRepository } from '../../data-access/operator-audit-repository';
import { ValidationError } from '../../shared/app-error';
import { queryInteger, queryText } from './console-input';
import type { ConsoleDependencies } from './console-dependencies';

const ACTIONS = ['replay', 'skip', 'cancel', 'reveal', 'mark', 'unmark'];

function queryTime(req: Request, name: string): Date | undefined {
  const text = queryText(req, name, 40);
  if (text === undefined) return undefined;
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) {
    throw new ValidationError(`${name} must be a date and time (ISO 8601)`, [
      { path: name, message: 'must be an ISO 8601 date and time' },
    ]);
  }
  return time;
}

/**
 * GET /console/api/audit: operator_audit, newest first, filtered by actor, action, target (or
 * its start) and time; `before` (the last id seen) pages on. Read-only: the table is append-only.
 */
export function auditRoutes(dependencies: ConsoleDependencies): express.Router {
  const audit = createOperatorAuditRepository(dependencies.db);
  const router = express.Router();
  router.get('/', async (req, res) => {
    const action = queryText(req, 'action', 20);
    if (action !== undefined && !ACTIONS.includes(action)) {
      throw new ValidationError(`action must be one of ${ACTIONS.join(', ')}`, [
        { path: 'action', message: `one of ${ACTIONS.join(', ')}` },
      ]);
    }
    const before = queryText(req, 'before', 20);
    if (before !== undefined && !/^\d+$/.test(before)) {
      throw new ValidationError('before must be an audit row id', [
        { path: 'before', message: 'must be an id' },
      ]);
    }
    const limit = queryInteger(req, 'limit', { min: 1, max: 500, fallback: 100 });
    const rows = await audit.browse({
      actor: queryText(req, 'actor'),
      action,
      target: queryText(req, 'target', 400),
      from: queryTime(req, 'from'),
      to: queryTime(req, 'to'),
      beforeId: before,
      limit,
    });
    res.json({
      rows,
      next: rows.length === limit ? `before=${rows.at(-1)?.id}` : null,
    });
  });
  return router;
}
