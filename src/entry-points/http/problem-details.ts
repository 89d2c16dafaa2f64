import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  AppError,
  errorMessage,
  publicDetail,
  UnauthorizedError,
  ValidationError,
  type FieldError,
} from '../../shared/app-error';
import type { Logger } from '../../shared/logger';
import { INTERNAL, STATUS_BY_CODE } from '../../shared/public-errors';

/** An RFC 9457 problem document. `type` names an entry in docs/api.md's "Errors" table. */
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

/** Codes whose answer tells the client when to try again, with the line each logs. */
const RETRY_LATER: Record<string, string> = {
  'authentication-unavailable': 'token keys unavailable',
  'database-unavailable': 'database unavailable',
  'console-busy': 'console busy',
};

/**
 * Answers with a problem document. On node's own response, so the Express routes and the create
 * route (create-order-endpoint.ts, which runs without Express) answer alike.
 */
export function sendProblem(
  res: ServerResponse,
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
  sendJson(res, status, { ...problem, requestId: res.req.id }, 'application/problem+json');
}

/** A JSON answer: status, type with its charset, length, and no body for HEAD. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  type = 'application/json',
): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', `${type}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** body-parser reports its failures as `type` strings; these are the client's mistakes. */
const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'malformed-json', 'The request body is not valid JSON'],
  'entity.too.large': [413, 'body-too-large', 'The request body is larger than this route takes'],
  'charset.unsupported': [415, 'unsupported-media-type', 'Only UTF-8 JSON is accepted'],
  'encoding.unsupported': [415, 'unsupported-media-type', 'The Content-Encoding is not supported'],
  'request.aborted': [400, 'request-aborted', 'The request was aborted by the client'],
  'request.size.invalid': [400, 'bad-request', 'The body does not match its Content-Length'],
};

/**
 * The end of every app's middleware: an answer for paths no route took, then the error handler.
 */
export function endOfRoutes(logger: Logger): [RequestHandler, ErrorRequestHandler] {
  const notFound: RequestHandler = (req, res) =>
    sendProblem(res, 404, 'not-found', `No route for ${req.method} ${req.path}`);
  return [notFound, problemDetailsHandler(logger)];
}

/**
 * The one place errors become HTTP answers. Routes only pass errors on; whatever
 * arrives here leaves as problem+json, and nothing internal (a stack, SQL) leaks out.
 */
export function problemDetailsHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    answerError(error, req, res, logger);
  };
}

/** The answer to an error that reached the end of a request's handling (see above). */
export function answerError(
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
): void {
  const { type, limit: limitBytes } = (error ?? {}) as { type?: unknown; limit?: unknown };
  const bodyError = typeof type === 'string' ? BODY_PARSER_ERRORS[type] : undefined;
  if (bodyError) {
    const [status, code, detail] = bodyError;
    const limit = typeof limitBytes === 'number' ? ` (${limitBytes} bytes)` : '';
    return sendProblem(res, status, code, status === 413 ? `${detail}${limit}` : detail);
  }
  if (error instanceof URIError) {
    // The router could not percent-decode a path parameter (e.g. %ED%A0%80, a lone surrogate).
    return sendProblem(res, 400, 'bad-request', 'The request path is not valid UTF-8');
  }
  const status = error instanceof AppError ? STATUS_BY_CODE[error.code] : undefined;
  if (status !== undefined) {
    const appError = error as AppError;
    if (appError instanceof UnauthorizedError) {
      res.setHeader('WWW-Authenticate', appError.challenge);
    }
    const retryLater = RETRY_LATER[appError.code];
    if (retryLater) {
      logger.warn(retryLater, {
        path: pathOf(req),
        error: errorMessage(appError.cause ?? appError),
      });
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    }
    const extra =
      appError instanceof ValidationError ? { errors: appError.fieldErrors } : appError.details;
    return sendProblem(res, status, appError.code, publicDetail(appError), extra);
  }
  logger.error('unhandled error', {
    path: pathOf(req),
    error: errorMessage(error),
    stack: stackOf(error),
  });
  return sendProblem(res, 500, INTERNAL.code, INTERNAL.detail);
}

/** The path of the request as it arrived, without its query. */
function pathOf(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  return url.split('?', 1)[0] ?? '';
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}
