import type { ErrorRequestHandler, Response } from 'express';
import {
  AppError,
  UnauthorizedError,
  ValidationError,
  type FieldError,
} from '../../shared/app-error';
import { isDatabaseUnavailable } from '../../data-access/database-errors';
import type { Logger } from '../../shared/logger';

/** An RFC 9457 problem document. `type` names an entry in README's "Errors" table. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const RETRY_AFTER_SECONDS = 5;

export function sendProblem(
  res: Response,
  status: number,
  code: string,
  detail: string,
  extra: Partial<Problem> = {},
): void {
  const problem: Problem = {
    type: `/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...extra,
  };
  res
    .status(status)
    .type('application/problem+json')
    .json({ ...problem, requestId: res.req.id });
}

/** body-parser reports its failures as `type` strings; these are the client's mistakes. */
const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'malformed-json', 'The request body is not valid JSON'],
  'entity.too.large': [413, 'body-too-large', 'The request body is larger than 1 MB'],
  'charset.unsupported': [415, 'unsupported-media-type', 'Only UTF-8 JSON is accepted'],
  'encoding.unsupported': [415, 'unsupported-media-type', 'The Content-Encoding is not supported'],
  'request.aborted': [400, 'request-aborted', 'The request was aborted by the client'],
  'request.size.invalid': [400, 'bad-request', 'The body does not match its Content-Length'],
};

/**
 * The one place errors become HTTP answers. Routes only pass errors on; whatever
 * arrives here leaves as problem+json, and nothing internal (a stack, SQL) leaks out.
 */
export function problemDetailsHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const bodyError = typeof error?.type === 'string' ? BODY_PARSER_ERRORS[error.type] : undefined;
    if (bodyError) {
      const [status, code, detail] = bodyError;
      return sendProblem(res, status, code, detail);
    }
    if (error instanceof URIError) {
      // The router could not percent-decode a path parameter (e.g. %ED%A0%80, a lone surrogate).
      return sendProblem(res, 400, 'bad-request', 'The request path is not valid UTF-8');
    }
    if (error instanceof ValidationError) {
      return sendProblem(res, 400, error.code, error.message, { errors: error.fieldErrors });
    }
    if (error instanceof UnauthorizedError) {
      res.setHeader('WWW-Authenticate', error.challenge);
      return sendProblem(res, 401, error.code, error.message);
    }
    if (error instanceof AppError && !error.retriable) {
      return sendProblem(res, error.httpStatus, error.code, error.message, error.details);
    }
    if (error instanceof AppError && error.code === 'authentication-unavailable') {
      logger.warn('token keys unavailable', { path: req.path, error: messageOf(error.cause) });
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return sendProblem(res, 503, error.code, error.message);
    }
    if ((error instanceof AppError && error.httpStatus === 503) || isDatabaseUnavailable(error)) {
      logger.warn('database unavailable', { path: req.path, error: messageOf(error) });
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return sendProblem(
        res,
        503,
        'database-unavailable',
        'The database is not reachable; retry later',
      );
    }
    logger.error('unhandled error', {
      path: req.path,
      error: messageOf(error),
      stack: stackOf(error),
    });
    return sendProblem(res, 500, 'internal', 'Something went wrong on our side');
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}
