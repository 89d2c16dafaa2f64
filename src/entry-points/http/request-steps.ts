import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One step of a request's handling, on node's own request and response. Express takes a step as
 * middleware, and `runSteps` runs a fixed list of them without Express, for the create route
 * (create-order-endpoint.ts): each step is written once and serves both.
 */
export type Step = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void | Promise<void>;

/** What the last step did not do: answer. A bug, answered 500 rather than left hanging. */
export class UnansweredRequestError extends Error {
  constructor() {
    super('the last step called next() without answering');
  }
}

/**
 * Runs `steps` in order, as Express would: a step calls `next()` to go on, or answers itself;
 * an error passed to `next` (any truthy value, as Express takes it), thrown, or rejected by an
 * async step goes to `onError`, once. A `next()` past the last step is an UnansweredRequestError.
 */
export function runSteps(
  steps: readonly Step[],
  onError: (error: unknown, req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let index = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      onError(error, req, res);
    };
    const next = (error?: unknown): void => {
      if (error) return fail(error);
      const step = steps[index++];
      if (!step) return fail(new UnansweredRequestError());
      try {
        const result = step(req, res, next);
        if (result) result.catch(fail);
      } catch (thrown) {
        fail(thrown);
      }
    };
    next();
  };
}
