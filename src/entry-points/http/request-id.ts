import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { runWithRequestContext, type RequestContext } from '../../shared/request-context';
import type { Logger } from '../../shared/logger';
import type { Caller } from '../../domain/access-policy';

/** An incoming id is honoured only if it is short and plain, so it is safe in logs and headers. */
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
}

/**
 * Gives every request an id (the caller's `X-Request-Id` when usable), echoes it in the
 * response, runs the rest of the chain inside that context so every log line names it,
 * and logs one line per completed request, with the caller's subject and role once
 * authentication has named them. Bodies are never logged.
 */
export function requestId(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const context: RequestContext = { requestId: id };
    // Below `http` the line would be dropped: not even its listener is added (issue 23).
    if (!logger.isLevelEnabled('http')) return runWithRequestContext(context, next);
    const startedAt = process.hrtime.bigint();
    res.on('finish', () => {
      logger.http('request completed', {
        requestId: id,
        orderId: context.orderId,
        // Who called, once authentication has run: every operator action is traceable to
        // a subject in the logs as well as in the audit table.
        ...callerFields(req.caller as Caller | undefined),
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
      });
    });
    runWithRequestContext(context, next);
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
