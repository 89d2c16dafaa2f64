import type { Caller } from '../../domain/access-policy';

// What the API's steps add to a request, on node's own request type: the Express routes and the
// create route (create-order-endpoint.ts, which runs without Express) read the same fields.
declare module 'http' {
  interface IncomingMessage {
    /** Set by `requestId` on every request. */
    id: string;
    /** Set by `authenticate` on every API request. */
    caller: Caller;
  }
}
