import { randomUUID } from 'node:crypto';
import type { Step } from './request-steps';
import './request-fields';
import { runWithRequestContext, type RequestContext } from '../../shared/request-context';
import type { Logger } from '../../shared/logger';
import type { Caller } from '../../domain/access-policy';

/** An incoming id is honoured only if it is short and plain, so it is safe in logs and headers. */
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every request an id (the caller's `X-Request-Id` when usable), echoes it in the
 * response, runs the rest of the chain inside that context so every log line names it,
 * and logs one line per completed request, with the caller's subject and role once
 * authentication has named them. Bodies are never logged.
 */
export function requestId(logger: Logger): Step {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id =
      typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming)
        ? incoming
        : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const context: RequestContext = { requestId: id };
    // Below `http` the line would be dropped: not even its listener is added (issue 23).
    if (!logger.isLevelEnabled('http')) return runWithRequestContext(context, () => next());
    const startedAt = process.hrtime.bigint();
    // As it arrived: Express rewrites `req.url` inside mounted routers.
    const path = (req.url ?? '').split('?', 1)[0];
    res.on('finish', () => {
      logger.http('request completed', {
        requestId: id,
        orderId: context.orderId,
        // Who called, once authentication has run: every operator action is traceable to
        // a subject in the logs as well as in the audit table.
        ...callerFields(req.caller as Caller | undefined),
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
      });
    });
    runWithRequestContext(context, () => next());
  };
}

function callerFields(caller: Caller | undefined): { subject?: string; role?: string } {
  switch (caller?.kind) {
    case 'customer':
      return { subject: caller.customerId, role: 'customer' };
    case 'operator':
      return { subject: caller.subject, role: 'operator' };
    default:
      return {};
  }
}
