import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { Step } from './request-steps';

/**
 * helmet's headers for a JSON API: nothing may be framed, sniffed or loaded from its answers.
 * helmet runs once, at start-up, and its headers are then set on every answer: they do not
 * depend on the request, and running it per request was part of what Express cost intake.
 */
export function securityHeaders(): Step {
  const headers = headersSetBy(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
      frameguard: { action: 'deny' },
    }),
  );
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** The headers a middleware sets, and refuses one that does anything else or answers later. */
function headersSetBy(middleware: Middleware): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  let done = false;
  const recorder = {
    setHeader: (name: string, value: string) => headers.push([name, value]),
    removeHeader: () => undefined,
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => {
    done = true;
  });
  if (!done) throw new Error('helmet did not finish at once: its headers depend on the request');
  return headers;
}
